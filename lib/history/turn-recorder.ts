import "server-only";
import type { HistoryStore, TurnProgress } from "@/lib/store/history-store";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import type { TurnStatus } from "@/lib/shared/history-contract";
import type { AnswerObserver, AnswerOutcome } from "@/lib/streaming/answer-stream";

/** Longest a shown answer goes unsaved while it streams: a server killed mid-answer loses at most this. */
export const SAVE_INTERVAL_MS = 2_000;
/** Longest one write may take before the answer is treated as unsaved (a database that hangs). */
export const SAVE_TIMEOUT_MS = 5_000;

export const UNSAVED_MESSAGE = "This answer is not being saved: the history database did not answer. Copy the text if you need it.";

/** Why a history write failed, for the log: once per turn. */
export type SaveFailureLog = (error: unknown) => void;

/**
 * Saves a turn's answer as it streams: what the page was sent, written at least every
 * SAVE_INTERVAL_MS and once more when the answer ends, with how it ended. A write that fails
 * does not touch the answer: the page is told once (`unsaved`), the log says why, and this turn
 * stops writing (its row keeps the last text saved, marked `incomplete`).
 */
export class TurnRecorder implements AnswerObserver {
  private answer = "";
  private thoughts = "";
  private firstTokenMs: number | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  private failed = false;
  private noticeSent = false;
  private settled: Promise<void> | undefined;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly store: HistoryStore,
    private readonly turnId: string,
    /** When the model was called: timings count from it. */
    private readonly startedAt: number,
    private readonly logFailure: SaveFailureLog,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => {
      if (this.dirty) this.write({ status: "incomplete" });
    }, SAVE_INTERVAL_MS);
    // An answer being saved is no reason to keep a stopping process alive.
    this.timer.unref();
  }

  sent(event: AnalyzeEvent): void {
    if (event.event !== "delta" && event.event !== "thought") return;
    this.firstTokenMs ??= this.now() - this.startedAt;
    if (event.event === "delta") this.answer += event.data.text;
    else this.thoughts += event.data.text;
    this.dirty = true;
  }

  takeNotice(): AnalyzeEvent | undefined {
    if (!this.failed || this.noticeSent) return undefined;
    this.noticeSent = true;
    return { event: "unsaved", data: { message: UNSAVED_MESSAGE } };
  }

  /** The last write, with how the answer ended; the first outcome told wins. Never throws. */
  settle(outcome: AnswerOutcome): Promise<void> {
    this.settled ??= (async () => {
      clearInterval(this.timer);
      this.write(endOf(outcome));
      await this.writing;
    })();
    return this.settled;
  }

  /** Queued behind the write before it, so the last text written is always the newest. */
  private write(end: Partial<TurnProgress> & { status: TurnStatus }) {
    if (this.failed) return;
    this.dirty = false;
    const progress: TurnProgress = {
      answer: this.answer,
      thoughts: this.thoughts,
      firstTokenMs: this.firstTokenMs,
      durationMs: this.now() - this.startedAt,
      ...end,
    };
    this.writing = this.writing.then(async () => {
      if (this.failed) return;
      try {
        await withTimeout(this.store.recordTurn(this.turnId, progress), SAVE_TIMEOUT_MS);
      } catch (error) {
        this.failed = true;
        this.logFailure(error);
      }
    });
  }
}

function endOf(outcome: AnswerOutcome): Partial<TurnProgress> & { status: TurnStatus } {
  switch (outcome.ended) {
    case "done":
      return { status: "complete", finishReason: outcome.done.finishReason, usage: outcome.done.usage };
    case "error": {
      // A restart that cut the answer short stopped it; it did not fail.
      const status = outcome.error.code === "server_restarting" ? "stopped" : "failed";
      return { status, errorCode: outcome.error.code, errorMessage: outcome.error.message };
    }
    case "cancelled":
      return { status: "stopped" };
  }
}

/** The write, or a rejection once `ms` have passed (the write itself may still finish later). */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The history database did not answer within ${ms} ms.`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
