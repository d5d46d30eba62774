import type { ErrorBody } from "@/lib/errors";
import type { AnalyzeEvent } from "@/lib/streaming/events";
import { readAnalyzeEvents } from "@/lib/streaming/read-events";

export interface AnalysisRequest {
  image: File;
  prompt: string;
  /** A provider id from GET /api/providers; the server's default when absent. */
  provider?: string;
  signal: AbortSignal;
}

/** An error the server explained, or a sentence about the network: always something to show. */
export class AnalysisRequestError extends Error {
  override name = "AnalysisRequestError";
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Sends the image and the task, and yields the answer's events as they stream in. */
export async function* requestAnalysis({ image, prompt, provider, signal }: AnalysisRequest): AsyncGenerator<AnalyzeEvent> {
  const form = new FormData();
  form.append("prompt", prompt);
  if (provider) form.append("provider", provider);
  form.append("image", image, image.name);

  let response: Response;
  try {
    response = await fetch("/api/analyze", { method: "POST", body: form, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new AnalysisRequestError("The server could not be reached. Check your connection and try again.", "network");
  }
  if (!response.ok || !response.body) throw await responseError(response);
  yield* readAnalyzeEvents(response.body);
}

async function responseError(response: Response): Promise<AnalysisRequestError> {
  const body = (await response.json().catch(() => null)) as ErrorBody | null;
  if (body?.error?.message) return new AnalysisRequestError(body.error.message, body.error.code);
  if (response.status === 413) {
    return new AnalysisRequestError("The image is too large for this server.", "file_too_large");
  }
  return new AnalysisRequestError(
    `The server could not answer (HTTP ${response.status}). Please try again in a moment.`,
    "http_error",
  );
}
