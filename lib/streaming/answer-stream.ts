import "server-only";
import { AppError, toAppError } from "@/lib/shared/errors";
import type { ProviderEvent } from "@/lib/providers/types";
import { within } from "@/lib/streaming/deadline";
import type { AnalyzeEvent, DoneEvent, MetaEvent } from "@/lib/shared/analyze-contract";
import { encodeEvent, encodeKeepAlive } from "@/lib/streaming/sse";
import { MAX_ANSWER_CHARS } from "@/lib/shared/limits";

const KEEP_ALIVE_MS = 15_000;

/** What the log and the metrics learn of a stream: when the model first spoke, and bytes sent. */
export interface AnswerStats {
  firstEventAt: number | undefined;
  bytesSent: number;
}

/** How an answer ended, for the server's log. */
export type AnswerOutcome = { ended: "done"; done: DoneEvent } | { ended: "error"; error: AppError } | { ended: "cancelled" };

export interface AnswerStreamSource {
  meta: MetaEvent;
  /** The answer of a model that has accepted the request: the HTTP status is already 200. */
  events: AsyncIterator<ProviderEvent>;
  /** Aborted when the client goes away, which ends the model call. */
  abort: AbortController;
  /** Longest wait, from now, for the model's first thought or words: thinking takes a while. */
  firstTokenTimeoutMs: number;
  firstTokenTimeoutError(): AppError;
  /** Longest wait for each later piece of the answer. */
  idleTimeoutMs: number;
  idleTimeoutError(): AppError;
  onEnd(outcome: AnswerOutcome, stats: AnswerStats): void;
  /** Told each event as it is sent, and the end before the last event goes (the saved history). */
  observer?: AnswerObserver;
  /**
   * Aborted when the server ends this answer itself (a restart past its grace period): the model
   * call stops and the page gets `stopError` as an `error` event after the text it has.
   */
  stopSignal?: AbortSignal;
  stopError?(): AppError;
  /** Most characters of answer and reasoning sent before the answer is cut (MAX_ANSWER_CHARS). */
  maxAnswerChars?: number;
  keepAliveMs?: number;
}

/**
 * Watches an answer as it streams (lib/history/turn-recorder.ts saves it). The stream waits for
 * `settle` before it sends `done` or `error`, so a page that reloads after either finds the
 * answer saved; an observer bounds that wait itself.
 */
export interface AnswerObserver {
  sent(event: AnalyzeEvent): void;
  settle(outcome: AnswerOutcome): Promise<void>;
  /** An event the observer has for the page (`unsaved`), taken once. */
  takeNotice(): AnalyzeEvent | undefined;
}

/**
 * The SSE body of a started analysis: `meta` at once (the page then shows the model thinking),
 * then each provider event as it arrives. Pulling
 * one provider event per read means each delta is written the moment it exists and a slow
 * client slows the model stream instead of filling memory. A failure mid-answer, a stalled model
 * included, becomes an `error` event after the text already sent, so the page keeps what it showed.
 */
export function createAnswerStream(source: AnswerStreamSource): ReadableStream<Uint8Array> {
  const { meta, events, abort } = source;
  const firstTokenDeadline = Date.now() + source.firstTokenTimeoutMs;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  let finished = false;
  let modelHasSpoken = false;
  const stats: AnswerStats = { firstEventAt: undefined, bytesSent: 0 };
  const write = (controller: ReadableStreamDefaultController<Uint8Array>, bytes: Uint8Array) => {
    stats.bytesSent += bytes.byteLength;
    controller.enqueue(bytes);
  };
  // A timeout aborts the model call too; unlike a client's abort, it is worth reporting.
  let timedOut = false;
  const timeoutError = (error: () => AppError) => () => {
    timedOut = true;
    return error();
  };

  const { observer } = source;
  let stopping = false;
  const stopOutcome = (): AnswerOutcome => ({ ended: "error", error: source.stopError?.() ?? toAppError(new Error("stopped")) });
  source.stopSignal?.addEventListener(
    "abort",
    () => {
      stopping = true;
      abort.abort();
      // Saved now, whether or not the page reads on: the process is about to exit.
      void observer?.settle(stopOutcome());
    },
    { once: true },
  );
  const finish = (controller: ReadableStreamDefaultController<Uint8Array> | null, outcome: AnswerOutcome) => {
    if (finished) return;
    finished = true;
    clearInterval(keepAlive);
    controller?.close();
    source.onEnd(outcome, stats);
  };
  const send = (controller: ReadableStreamDefaultController<Uint8Array>, event: AnalyzeEvent) => {
    const notice = observer?.takeNotice();
    if (notice) write(controller, encodeEvent(notice));
    write(controller, encodeEvent(event));
    observer?.sent(event);
  };
  /** The last event: sent once the observer has settled the answer, then the stream ends. */
  const end = async (controller: ReadableStreamDefaultController<Uint8Array>, outcome: AnswerOutcome) => {
    clearInterval(keepAlive);
    await observer?.settle(outcome);
    // The client may have gone while the answer was being saved: then nothing more is sent.
    if (finished) return;
    if (outcome.ended === "done") send(controller, { event: "done", data: outcome.done });
    if (outcome.ended === "error") send(controller, { event: "error", data: { code: outcome.error.code, message: outcome.error.message } });
    finish(controller, outcome);
  };
  let answerChars = 0;
  const maxAnswerChars = source.maxAnswerChars ?? MAX_ANSWER_CHARS;
  const enqueue = async (controller: ReadableStreamDefaultController<Uint8Array>, event: ProviderEvent) => {
    if (event.type !== "done") {
      answerChars += event.text.length;
      if (answerChars > maxAnswerChars) {
        // A model that will not stop: the call ends, and the answer so far stands.
        abort.abort();
        events.return?.().catch(() => undefined);
        await end(controller, { ended: "error", error: answerTooLongError(maxAnswerChars) });
        return;
      }
    }
    const analyzeEvent = analyzeEventFromProvider(event);
    if (analyzeEvent.event === "done") await end(controller, { ended: "done", done: analyzeEvent.data });
    else send(controller, analyzeEvent);
  };
  const cancel = (controller: ReadableStreamDefaultController<Uint8Array> | null) => {
    if (finished) return;
    void observer?.settle({ ended: "cancelled" });
    finish(controller, { ended: "cancelled" });
  };
  const nextEvent = () =>
    modelHasSpoken
      ? within(events.next(), source.idleTimeoutMs, abort, timeoutError(source.idleTimeoutError))
      : within(events.next(), Math.max(0, firstTokenDeadline - Date.now()), abort, timeoutError(source.firstTokenTimeoutError));

  return new ReadableStream<Uint8Array>({
    start(controller) {
      write(controller, encodeEvent({ event: "meta", data: meta }));
      keepAlive = setInterval(() => write(controller, encodeKeepAlive()), source.keepAliveMs ?? KEEP_ALIVE_MS);
    },
    async pull(controller) {
      if (finished) return;
      if (stopping) return end(controller, stopOutcome());
      try {
        const next = await nextEvent();
        if (next.done) {
          // A provider ends without `done` only when its signal was aborted: nobody is listening,
          // or the server is stopping the answer.
          if (stopping) await end(controller, stopOutcome());
          else cancel(controller);
          return;
        }
        modelHasSpoken = true;
        stats.firstEventAt ??= Date.now();
        await enqueue(controller, next.value);
      } catch (error) {
        const appError = toAppError(error);
        if (stopping) {
          await end(controller, stopOutcome());
          return;
        }
        if (abort.signal.aborted && !timedOut) {
          cancel(controller);
          return;
        }
        await end(controller, { ended: "error", error: appError });
      }
    },
    cancel() {
      abort.abort();
      cancel(null);
      // Not awaited: a pending read finishes first, and the abort above is what ends it.
      events.return?.().catch(() => undefined);
    },
  });
}

function answerTooLongError(maxChars: number): AppError {
  return new AppError("answer_too_long", `The model kept writing past ${maxChars.toLocaleString("en")} characters; the answer was cut there.`);
}

/** A provider's event in the contract's words: the page never sees the provider's own shape. */
function analyzeEventFromProvider(event: ProviderEvent): AnalyzeEvent {
  switch (event.type) {
    case "thought":
      return { event: "thought", data: { text: event.text } };
    case "delta":
      return { event: "delta", data: { text: event.text } };
    case "done":
      return { event: "done", data: { finishReason: event.finishReason, ...(event.usage ? { usage: event.usage } : {}) } };
  }
}
