import { errorBodySchema } from "@/lib/shared/analyze-contract";

/** The server's own explanation of a failed request: its sentence and code (lib/shared/errors.ts). */
export interface ServerExplanation {
  message: string;
  code: string;
}

/**
 * What a failed response's body says, when it is the API's JSON error; undefined for anything
 * else (a proxy's HTML error page, say), which the caller describes by its status.
 */
export function explanationOf(bodyText: string): ServerExplanation | undefined {
  let body: unknown = null;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const explained = errorBodySchema.safeParse(body);
  return explained.success && explained.data.error.message ? { message: explained.data.error.message, code: explained.data.error.code } : undefined;
}

/** The sentence for a failure the server did not explain: too large, or only its status. */
export function unexplainedFailure(status: number): ServerExplanation {
  if (status === 413) return { message: "The image is too large for this server.", code: "file_too_large" };
  return { message: `The server could not answer (HTTP ${status}). Please try again in a moment.`, code: "http_error" };
}
