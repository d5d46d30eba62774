import "server-only";
import type { AppConfig } from "@/lib/config";
import { ANALYZE_PROTOCOL_HEADERS } from "@/lib/shared/analyze-contract";
import { AppError, errorResponse, toAppError } from "@/lib/shared/errors";
import type { ImageStore } from "@/lib/image/image-store";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import type { ProviderRegistry } from "@/lib/providers";
import { firstTokenTimeoutError, idleTimeoutError } from "@/lib/providers/provider-errors";
import type { Provider } from "@/lib/providers/types";
import { createAnswerStream, type AnswerOutcome } from "@/lib/streaming/answer-stream";
import { within } from "@/lib/streaming/deadline";
import { SSE_HEADERS } from "@/lib/streaming/sse";
import { readAnalyzeForm, type AnalyzeForm } from "@/lib/upload/analyze-form";
import { missingImage, parseUpload } from "@/lib/upload/parse-upload";

/** What answering a request needs from the process: the route passes the real ones, tests fakes. */
export interface AnalyzeDependencies {
  config: AppConfig;
  providers: ProviderRegistry;
  /** Keeps prepared images for follow-up questions. */
  imageStore: ImageStore;
}

export type AnalyzeHandler = (request: Request) => Promise<Response>;

/**
 * POST /api/analyze, start to finish: receive the upload, prepare the image, start the model and
 * answer with its stream. Every failure before the first token is a JSON error with a status;
 * after it, an `error` event in the stream. Both carry the protocol version header.
 */
export function createAnalyzeHandler(dependencies: AnalyzeDependencies): AnalyzeHandler {
  return (request) => handleAnalyzeRequest(request, dependencies);
}

async function handleAnalyzeRequest(request: Request, dependencies: AnalyzeDependencies): Promise<Response> {
  const { config } = dependencies;
  const startedAt = Date.now();
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  request.signal.addEventListener("abort", onClientGone, { once: true });

  try {
    rejectCrossSite(request);
    const { form, image, imageId, provider } = await receiveRequest(request, dependencies);
    if (abort.signal.aborted) throw cancelled();

    const seconds = (ms: number) => Math.round(ms / 1000);
    const { firstTokenTimeoutMs, idleTimeoutMs } = config.model;
    const firstTokenTimeout = () => firstTokenTimeoutError(provider.label, seconds(firstTokenTimeoutMs));
    const modelCalledAt = Date.now();
    // Waiting until the model has accepted the request lets a refused key, a quota or an
    // unreachable server answer with its own HTTP status rather than a 200 with an error inside.
    const answer = await within(
      provider.analyze({ image, prompt: form.prompt, history: form.history, depth: form.depth, signal: abort.signal }),
      firstTokenTimeoutMs,
      abort,
      firstTokenTimeout,
    );
    if (abort.signal.aborted) throw cancelled();

    const log = { provider, startedAt, image, turn: form.history.length + 1 };
    const body = createAnswerStream({
      meta: {
        provider: provider.id,
        model: provider.model,
        image: { width: image.width, height: image.height, bytes: image.bytes, mimeType: image.mimeType },
        ...(imageId ? { imageId } : {}),
      },
      events: answer[Symbol.asyncIterator](),
      abort,
      firstTokenTimeoutMs: firstTokenTimeoutMs - (Date.now() - modelCalledAt),
      firstTokenTimeoutError: firstTokenTimeout,
      idleTimeoutMs,
      idleTimeoutError: () => idleTimeoutError(provider.label, seconds(idleTimeoutMs)),
      onEnd: (outcome) => logRequest({ ...log, ...outcomeLog(outcome) }),
    });
    return new Response(body, { headers: { ...SSE_HEADERS, ...ANALYZE_PROTOCOL_HEADERS } });
  } catch (error) {
    abort.abort();
    const appError = request.signal.aborted ? cancelled() : toAppError(error);
    logRequest({ status: appError.status, code: appError.code, startedAt, cause: appError.cause ?? error });
    return errorResponse(appError, ANALYZE_PROTOCOL_HEADERS);
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
    throw new AppError("cross_site_request", "Requests from other sites are not accepted. Open this tool's own page.");
  }
}

function cancelled(): AppError {
  return new AppError("request_cancelled", "The request was cancelled.");
}

interface ReceivedRequest {
  form: AnalyzeForm;
  image: PreparedImage;
  /** Where the server keeps the prepared image for follow-ups; undefined when it keeps none. */
  imageId: string | undefined;
  provider: Provider;
}

/**
 * The request, read and checked: a new image is prepared and kept for follow-ups; a follow-up's
 * image id is looked up (410 when it is gone, and the page uploads the file again). The temporary
 * file is gone by the time this returns or throws.
 */
async function receiveRequest(
  request: Request,
  { config, providers, imageStore: store }: AnalyzeDependencies,
): Promise<ReceivedRequest> {
  const upload = await parseUpload(request, { maxFileBytes: config.upload.maxBytes, directory: config.upload.directory });
  try {
    const form = readAnalyzeForm(upload.fields);
    const provider = providers.choose(form.provider);
    if (upload.file) {
      const image = await prepareImage(upload.file.path, config.image);
      return { form, image, imageId: store.put(image), provider };
    }
    if (!form.imageId) throw missingImage();
    const image = store.get(form.imageId);
    if (!image) {
      throw new AppError("image_expired", "The server no longer keeps the image from the earlier question. Send it again.");
    }
    return { form, image, imageId: form.imageId, provider };
  } finally {
    await upload.cleanup();
  }
}

interface RequestLog {
  status: number;
  startedAt: number;
  /** 1 for a first question, 2 for the first follow-up, and so on. */
  turn?: number;
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
function logRequest({ status, startedAt, turn, code, provider, image, finishReason, totalTokens, cause }: RequestLog) {
  const line = {
    route: "/api/analyze",
    status,
    ms: Date.now() - startedAt,
    ...(turn && turn > 1 ? { turn } : {}),
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
