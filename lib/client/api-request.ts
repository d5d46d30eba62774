import type { z } from "@/lib/shared/zod";
import { explanationOf, unexplainedFailure } from "@/lib/client/server-error";

/**
 * How the page calls the server's JSON APIs (history, account, admin): same-origin with the
 * session's cookies, never cached, every answer checked against its contract's schema, and every
 * failure an ApiRequestError with a sentence to show.
 */

/** What went wrong, said for a person; `code` is the server's (`not_found`, `forbidden`, …) or one of ours. */
export class ApiRequestError extends Error {
  override name = "ApiRequestError";
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** The answer's body, checked against its schema. */
export async function requestJson<T>(url: string, init: RequestInit, schema: z.ZodType<T>): Promise<T> {
  const response = await send(url, init);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw unexpectedAnswer(response.status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw unexpectedAnswer(response.status);
  return parsed.data;
}

/** For calls whose success has nothing to say (204). */
export async function requestEmpty(url: string, init: RequestInit): Promise<void> {
  await send(url, init);
}

export function jsonBody(method: string, body: object): RequestInit {
  return { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

/** The sentence to show for any failure of these calls. */
export function describeRequestFailure(error: unknown): string {
  return error instanceof ApiRequestError ? error.message : "That did not work. Please try again.";
}

/** The response when it is a success; otherwise the server's own explanation, or one about the network. */
async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    // Same-origin, with the cookies that say who is asking.
    response = await fetch(url, { ...init, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new ApiRequestError("The server could not be reached. Check your connection and try again.", "network", null);
  }
  if (response.ok) return response;
  const { message, code } = explanationOf(await response.text().catch(() => "")) ?? unexplainedFailure(response.status);
  throw new ApiRequestError(message, code, response.status);
}

function unexpectedAnswer(status: number): ApiRequestError {
  return new ApiRequestError("The server's answer was not understood. Reload the page and try again.", "unexpected_answer", status);
}
