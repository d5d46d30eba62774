import "server-only";
import { AppError } from "@/lib/shared/errors";

/**
 * A place in a work queue, taken when a request arrives and before its body is read: the server
 * knows at once whether it will do the work, so a full server answers 503 to a request that has
 * not yet cost it an upload. The place is given back exactly once, whichever way the request ends.
 */
export interface QueueSlot {
  /**
   * Waits for a free worker (first come, first served), runs `task` with a signal that aborts when
   * `signal` does, and gives the place back when the task settles. A request whose signal aborts
   * while it waits is dropped from the queue without running. A slot runs one task.
   */
  run<T>(task: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Gives the place back without running anything (the request did not need this work). Idempotent. */
  release(): void;
}

export interface WorkQueue {
  /** A place, or a 503 AppError with Retry-After when every place is taken. */
  reserve(): QueueSlot;
  /** Places taken: running, waiting to run, and reserved by requests still arriving. */
  readonly taken: number;
  readonly running: number;
}

export interface WorkQueueOptions {
  /** What the queue does, for the 503's sentence: "image preparation", "offline analysis". */
  name: string;
  /** Tasks that run at once. */
  concurrency: number;
  /** Places beyond the running ones: requests that may wait (or still be uploading). */
  maxWaiting: number;
  /** A guess at one task's length before any has finished, for Retry-After. */
  typicalTaskMs?: number;
  /** Told each time a request is refused because every place is taken (for the metrics). */
  onReject?: () => void;
  now?: () => number;
}

/** Retry-After is an estimate: never below a second (a client would hammer), never above this. */
const MAX_RETRY_AFTER_SECONDS = 60;
/** How much each finished task moves the running estimate of a task's length. */
const ESTIMATE_WEIGHT = 0.3;

export function createWorkQueue({ name, concurrency, maxWaiting, typicalTaskMs = 2_000, onReject, now = Date.now }: WorkQueueOptions): WorkQueue {
  let taken = 0;
  let running = 0;
  let taskMs = typicalTaskMs;
  const waiting: Array<() => void> = [];

  const startNext = () => {
    while (running < concurrency && waiting.length > 0) {
      running++;
      waiting.shift()!();
    }
  };
  const retryAfterSeconds = () => {
    // Everyone ahead is served `concurrency` at a time.
    const seconds = Math.ceil(((taken / concurrency) * taskMs) / 1000);
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
  };

  return {
    reserve() {
      if (taken >= concurrency + maxWaiting) {
        const wait = retryAfterSeconds();
        onReject?.();
        throw new AppError("server_busy", `The server is busy with other ${name} work. Try again in ${wait} s.`, { retryAfterSeconds: wait });
      }
      taken++;
      let held = true;
      let used = false;
      const giveBack = () => {
        if (!held) return;
        held = false;
        taken--;
      };

      return {
        release() {
          // A slot whose task was started gives its place back when the task settles.
          if (!used) giveBack();
        },
        async run(task, signal) {
          if (used || !held) throw new Error("A queue slot runs one task, and only before it is released.");
          used = true;
          try {
            await new Promise<void>((resolve, reject) => {
              if (signal?.aborted) return reject(cancelled());
              const start = () => {
                signal?.removeEventListener("abort", drop);
                resolve();
              };
              const drop = () => {
                const index = waiting.indexOf(start);
                if (index >= 0) waiting.splice(index, 1);
                reject(cancelled());
              };
              signal?.addEventListener("abort", drop, { once: true });
              waiting.push(start);
              startNext();
            });
          } catch (error) {
            giveBack();
            throw error;
          }
          const startedAt = now();
          try {
            return await task(signal ?? new AbortController().signal);
          } finally {
            taskMs = taskMs * (1 - ESTIMATE_WEIGHT) + (now() - startedAt) * ESTIMATE_WEIGHT;
            running--;
            giveBack();
            startNext();
          }
        },
      };
    },
    get taken() {
      return taken;
    },
    get running() {
      return running;
    },
  };
}

function cancelled(): AppError {
  return new AppError("request_cancelled", "The request was cancelled.");
}
