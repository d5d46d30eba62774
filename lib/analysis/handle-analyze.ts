import { getConfig, type AppConfig } from "@/lib/config";
import { AppError, errorResponse, toAppError } from "@/lib/errors";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import { getProviders } from "@/lib/providers";
import { firstTokenTimeoutError, idleTimeoutError } from "@/lib/providers/provider-errors";
import type { Provider } from "@/lib/providers/types";
import { createAnswerStream, type AnswerOutcome } from "@/lib/streaming/answer-stream";
import { nextWithin } from "@/lib/streaming/deadline";
import { SSE_HEADERS } from "@/lib/streaming/sse";
import { readAnalyzeForm } from "@/lib/upload/analyze-form";
import { parseUpload } from "@/lib/upload/parse-upload";

/**
 * POST /api/analyze, start to finish: receive the upload, prepare the image, start the model and
 * answer with its stream. Every failure before the first token is a JSON error with a status;
 * after it, an `error` event in the stream.
 */
export async function handleAnalyzeRequest(request: Request): Promise<Response> {
  const startedAt = Date.now();
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  request.signal.addEventListener("abort", onClientGone, { once: true });

  try {
    rejectCrossSite(request);
    const config = getConfig();
    const { prompt, image, provider } = await receiveUpload(request, config);
    if (abort.signal.aborted) throw cancelled();

    const events = provider.analyze({ image, prompt, signal: abort.signal })[Symbol.asyncIterator]();
    const seconds = (ms: number) => Math.round(ms / 1000);
    const { firstTokenTimeoutMs, idleTimeoutMs } = config.model;
    // The first event decides the status: a provider that fails before saying anything gets a
    // proper 5xx instead of a 200 stream with an error inside.
    const first = await nextWithin(events, firstTokenTimeoutMs, abort, () =>
      firstTokenTimeoutError(provider.label, seconds(firstTokenTimeoutMs)),
    );
    if (first.done) throw cancelled();

    const log = { provider, startedAt, image };
    const body = createAnswerStream({
      meta: {
        provider: provider.id,
        model: provider.model,
        image: { width: image.width, height: image.height, bytes: image.bytes, mimeType: image.mimeType },
      },
      first: first.value,
      rest: events,
      abort,
      idleTimeoutMs,
      idleTimeoutError: () => idleTimeoutError(provider.label, seconds(idleTimeoutMs)),
      onEnd: (outcome) => logRequest({ ...log, ...outcomeLog(outcome) }),
    });
    return new Response(body, { headers: SSE_HEADERS });
  } catch (error) {
    abort.abort();
    const appError = request.signal.aborted ? cancelled() : toAppError(error);
    logRequest({ status: appError.status, code: appError.code, startedAt, cause: appError.cause ?? error });
    return errorResponse(appError);
  } finally {
    request.signal.removeEventListener("abort", onClientGone);
  }
}

/**
 * A page on another site must not spend this server's model quota through a teammate's browser:
 * a multipart POST needs no CORS preflight, but browsers say where it comes from. Requests
 * without the header (curl, scripts) are not browsers acting for someone else.
 */
function rejectCrossSite(request: Request) {
  const site = request.headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") {
    throw new AppError("cross_site_request", 403, "Requests from other sites are not accepted. Open this tool's own page.");
  }
}

function cancelled(): AppError {
  return new AppError("request_cancelled", 499, "The request was cancelled.");
}

interface ReceivedUpload {
  prompt: string;
  image: PreparedImage;
  provider: Provider;
}

/** The upload, read and checked; the temporary file is gone by the time this returns or throws. */
async function receiveUpload(request: Request, config: AppConfig): Promise<ReceivedUpload> {
  const upload = await parseUpload(request, { maxFileBytes: config.upload.maxBytes, directory: config.upload.directory });
  try {
    const form = readAnalyzeForm(upload.fields);
    const provider = getProviders(config).choose(form.provider);
    const image = await prepareImage(upload.file.path, config.image);
    return { prompt: form.prompt, image, provider };
  } finally {
    await upload.cleanup();
  }
}

interface RequestLog {
  status: number;
  startedAt: number;
  code?: string;
  provider?: Provider;
  image?: PreparedImage;
  finishReason?: string;
  totalTokens?: number;
  cause?: unknown;
}

/** A stream's end, in the log's terms: it was a 200, but how did the answer end? */
function outcomeLog(outcome: AnswerOutcome): Pick<RequestLog, "status" | "code" | "finishReason" | "totalTokens" | "cause"> {
  switch (outcome.ended) {
    case "done":
      return { status: 200, finishReason: outcome.done.finishReason, totalTokens: outcome.done.usage?.totalTokens };
    case "error":
      return { status: 200, code: outcome.error.code, cause: outcome.error.cause ?? outcome.error };
    case "cancelled":
      return { status: 200, code: "request_cancelled" };
  }
}

/**
 * One line per request for the operators, written when the request ends (for a stream, when the
 * answer ends). Failures keep their cause for debugging; it never reaches the client.
 */
function logRequest({ status, startedAt, code, provider, image, finishReason, totalTokens, cause }: RequestLog) {
  const line = {
    route: "/api/analyze",
    status,
    ms: Date.now() - startedAt,
    ...(code ? { code } : {}),
    ...(provider ? { provider: provider.id, model: provider.model } : {}),
    ...(image ? { image: `${image.width}x${image.height} ${image.mimeType} ${image.bytes}B` } : {}),
    ...(finishReason ? { finishReason } : {}),
    ...(totalTokens ? { totalTokens } : {}),
  };
  const failed = status >= 500 || (code !== undefined && code !== "request_cancelled" && status === 200);
  if (failed) console.error(JSON.stringify(line), cause ?? "");
  else console.info(JSON.stringify(line));
}
