import { toAppError } from "@/lib/errors";
import type { ProviderEvent } from "@/lib/providers/types";
import type { AnalyzeEvent, MetaEvent } from "@/lib/streaming/events";
import { encodeEvent, encodeKeepAlive } from "@/lib/streaming/sse";

const KEEP_ALIVE_MS = 15_000;

export interface AnswerStreamSource {
  meta: MetaEvent;
  /** The provider's first event, already received: the HTTP status was decided on it. */
  first: ProviderEvent;
  rest: AsyncIterator<ProviderEvent>;
  /** Aborted when the client goes away, which ends the model call. */
  abort: AbortController;
  keepAliveMs?: number;
}

/**
 * The SSE body of a successful analysis: `meta`, then each provider event as it arrives. Pulling
 * one provider event per read means each delta is written the moment it exists and a slow
 * client slows the model stream instead of filling memory. A failure mid-answer becomes an
 * `error` event after the text already sent, so the page keeps what it showed.
 */
export function createAnswerStream(source: AnswerStreamSource): ReadableStream<Uint8Array> {
  const { meta, first, rest, abort } = source;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let finished = false;

  const finish = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    finished = true;
    clearInterval(keepAlive);
    controller.close();
  };
  const enqueue = (controller: ReadableStreamDefaultController<Uint8Array>, event: ProviderEvent) => {
    controller.enqueue(encodeEvent(toAnalyzeEvent(event)));
    if (event.type === "done") finish(controller);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encodeEvent({ event: "meta", data: meta }));
      enqueue(controller, first);
      if (!finished) {
        keepAlive = setInterval(() => controller.enqueue(encodeKeepAlive()), source.keepAliveMs ?? KEEP_ALIVE_MS);
      }
    },
    async pull(controller) {
      if (finished) return;
      try {
        const next = await rest.next();
        if (next.done) {
          // A provider ends without `done` only when its signal was aborted: nobody is listening.
          finish(controller);
          return;
        }
        enqueue(controller, next.value);
      } catch (error) {
        if (abort.signal.aborted) {
          finish(controller);
          return;
        }
        const { code, message } = toAppError(error);
        controller.enqueue(encodeEvent({ event: "error", data: { code, message } }));
        finish(controller);
      }
    },
    cancel() {
      finished = true;
      clearInterval(keepAlive);
      abort.abort();
      // Not awaited: a pending read finishes first, and the abort above is what ends it.
      rest.return?.().catch(() => undefined);
    },
  });
}

function toAnalyzeEvent(event: ProviderEvent): AnalyzeEvent {
  switch (event.type) {
    case "delta":
      return { event: "delta", data: { text: event.text } };
    case "done":
      return { event: "done", data: { finishReason: event.finishReason, ...(event.usage ? { usage: event.usage } : {}) } };
  }
}
