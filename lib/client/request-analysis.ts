import { createParser } from "eventsource-parser";
import type { ThinkingDepth } from "@/lib/shared/thinking";
import { ANALYZE_FIELDS, type AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { explanationOf, unexplainedFailure } from "@/lib/client/server-error";
import { toAnalyzeEvent } from "@/lib/client/read-events";
import type { ConversationTurn } from "@/lib/shared/providers";

export interface AnalysisRequest {
  /** The picked file; sent when there is no kept image to name, or it has expired. */
  image?: File;
  /** The prepared image the server kept from an earlier answer (its `meta.imageId`). */
  imageId?: string;
  prompt: string;
  /** Earlier turns about the same image, oldest first. */
  history?: ConversationTurn[];
  /**
   * A saved conversation to continue: sent instead of the image and the history, which the
   * server reads from its store.
   */
  conversationId?: string;
  /** With `conversationId`: the saved turn answered again; it and those after it are replaced. */
  replaceTurnId?: string;
  /** A provider id from GET /api/providers; the server's default when absent. */
  provider?: string;
  depth?: ThinkingDepth;
  signal: AbortSignal;
}

/** What the page learns while a request is on its way, besides the answer's own events. */
export type TransferEvent =
  | { event: "upload"; data: { loaded: number; total: number } }
  /** The request is all sent: the server is preparing the image or contacting the model. */
  | { event: "sent"; data: { withImage: boolean } };

export type RequestEvent = AnalyzeEvent | TransferEvent;

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

/**
 * Asks about an image and yields the request's progress and the answer's events as they come.
 * A follow-up names the image the server kept; if the server has let it go, the file is sent
 * again and the person never notices.
 */
export async function* requestAnalysis(request: AnalysisRequest): AsyncGenerator<RequestEvent> {
  if (request.conversationId) {
    yield* send(request, { conversationId: request.conversationId, replaceTurnId: request.replaceTurnId });
    return;
  }
  if (request.imageId) {
    try {
      yield* send(request, { imageId: request.imageId });
      return;
    } catch (error) {
      if (!(error instanceof AnalysisRequestError && error.code === "image_expired")) throw error;
    }
  }
  if (!request.image) throw new AnalysisRequestError("The image is no longer here to send. Start a new conversation with it.", "missing_image");
  yield* send(request, { file: request.image });
}

type ImageSource = { file: File } | { imageId: string } | { conversationId: string; replaceTurnId: string | undefined };

/**
 * One POST /api/analyze. XMLHttpRequest rather than fetch, because fetch cannot report upload
 * progress, and a 200 MB diagram on a slow link takes a while. The SSE body is parsed as it grows.
 */
function send(request: AnalysisRequest, source: ImageSource): AsyncGenerator<RequestEvent> {
  const { prompt, history, provider, depth, signal } = request;
  const form = new FormData();
  form.append(ANALYZE_FIELDS.prompt, prompt);
  if (provider) form.append(ANALYZE_FIELDS.provider, provider);
  if (depth) form.append(ANALYZE_FIELDS.depth, depth);
  if ("conversationId" in source) {
    form.append(ANALYZE_FIELDS.conversationId, source.conversationId);
    if (source.replaceTurnId) form.append(ANALYZE_FIELDS.replaceTurnId, source.replaceTurnId);
  } else {
    if (history?.length) form.append(ANALYZE_FIELDS.history, JSON.stringify(history));
    if ("file" in source) form.append(ANALYZE_FIELDS.image, source.file, source.file.name);
    else form.append(ANALYZE_FIELDS.imageId, source.imageId);
  }

  const xhr = new XMLHttpRequest();
  const events = new ReadableStream<RequestEvent>({
    start(controller) {
      let parsedLength = 0;
      const parser = createParser({
        onEvent: (message) => {
          const event = toAnalyzeEvent(message);
          if (event) controller.enqueue(event);
        },
      });
      const readNewText = () => {
        if (xhr.status !== 200) return;
        parser.feed(xhr.responseText.slice(parsedLength));
        parsedLength = xhr.responseText.length;
      };
      const fail = (error: unknown) => {
        signal.removeEventListener("abort", abort);
        controller.error(error);
      };
      const abort = () => xhr.abort();

      xhr.open("POST", "/api/analyze");
      // Only a file is worth a progress bar: a follow-up's history goes up in a blink.
      if ("file" in source) {
        xhr.upload.onprogress = (progress) => {
          if (progress.lengthComputable) controller.enqueue({ event: "upload", data: { loaded: progress.loaded, total: progress.total } });
        };
      }
      xhr.upload.onload = () => controller.enqueue({ event: "sent", data: { withImage: "file" in source } });
      xhr.onprogress = readNewText;
      xhr.onload = () => {
        signal.removeEventListener("abort", abort);
        if (xhr.status !== 200) {
          controller.error(responseError(xhr));
          return;
        }
        readNewText();
        controller.close();
      };
      xhr.onerror = () => fail(new AnalysisRequestError("The server could not be reached. Check your connection and try again.", "network"));
      xhr.onabort = () => fail(stopped());
      if (signal.aborted) {
        // An XMLHttpRequest aborted before send() fires no abort event: the answer would never end.
        controller.error(stopped());
        return;
      }
      signal.addEventListener("abort", abort, { once: true });
      xhr.send(form);
    },
    // The reader stopped listening without aborting: nobody wants the rest.
    cancel: () => xhr.abort(),
  });
  return iterate(events);
}

function stopped(): DOMException {
  return new DOMException("The request was stopped.", "AbortError");
}

async function* iterate<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  let finished = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } catch (error) {
    finished = true;
    throw error;
  } finally {
    if (!finished) await reader.cancel();
    reader.releaseLock();
  }
}

function responseError(xhr: XMLHttpRequest): AnalysisRequestError {
  const { message, code } = explanationOf(xhr.responseText) ?? unexplainedFailure(xhr.status);
  return new AnalysisRequestError(message, code);
}
