import { getConfig, type AppConfig } from "@/lib/config";
import { AppError, errorResponse, toAppError } from "@/lib/errors";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import { getProviders } from "@/lib/providers";
import { firstTokenTimeoutError } from "@/lib/providers/provider-errors";
import type { Provider, ProviderEvent } from "@/lib/providers/types";
import { createAnswerStream } from "@/lib/streaming/answer-stream";
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
    const config = getConfig();
    const { prompt, image, provider } = await receiveUpload(request, config);

    const events = provider.analyze({ image, prompt, signal: abort.signal })[Symbol.asyncIterator]();
    const first = await firstEvent(events, provider, config.model.firstTokenTimeoutMs, abort);

    logRequest({ status: 200, provider, startedAt, image });
    const body = createAnswerStream({
      meta: {
        provider: provider.id,
        model: provider.model,
        image: { width: image.width, height: image.height, bytes: image.bytes, mimeType: image.mimeType },
      },
      first,
      rest: events,
      abort,
    });
    return new Response(body, { headers: SSE_HEADERS });
  } catch (error) {
    abort.abort();
    const appError = toAppError(error);
    logRequest({ status: appError.status, code: appError.code, startedAt, cause: appError.cause });
    return errorResponse(appError);
  } finally {
    request.signal.removeEventListener("abort", onClientGone);
  }
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

/**
 * Waits for the provider's first event, which decides the HTTP status: a provider that fails
 * before saying anything gets a proper 5xx instead of a 200 stream with an error inside.
 */
async function firstEvent(
  events: AsyncIterator<ProviderEvent>,
  provider: Provider,
  timeoutMs: number,
  abort: AbortController,
): Promise<ProviderEvent> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(firstTokenTimeoutError(provider.label, Math.round(timeoutMs / 1000)));
      abort.abort();
    }, timeoutMs);
  });
  try {
    const result = await Promise.race([events.next(), timeout]);
    if (result.done) throw new AppError("invalid_request", 400, "The request was cancelled.");
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

interface RequestLog {
  status: number;
  startedAt: number;
  code?: string;
  provider?: Provider;
  image?: PreparedImage;
  cause?: unknown;
}

/** One line per request for the operators; server errors keep their cause for debugging. */
function logRequest({ status, startedAt, code, provider, image, cause }: RequestLog) {
  const line = {
    route: "/api/analyze",
    status,
    ms: Date.now() - startedAt,
    ...(code ? { code } : {}),
    ...(provider ? { provider: provider.id, model: provider.model } : {}),
    ...(image ? { image: `${image.width}x${image.height} ${image.mimeType} ${image.bytes}B` } : {}),
  };
  if (status >= 500) console.error(JSON.stringify(line), cause ?? "");
  else console.info(JSON.stringify(line));
}
