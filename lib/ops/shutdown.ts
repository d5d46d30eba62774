import "server-only";
import { AppError } from "@/lib/shared/errors";

/**
 * Graceful shutdown. On SIGTERM (a deploy, a scale-in) the server stops taking new analyses and
 * says so at /api/ready, lets the answers in progress finish for SHUTDOWN_GRACE_SECONDS, then ends
 * the rest with an `error` event (their text saved as `stopped`) and exits 0 once they are saved.
 */

/** An answer streaming now: ended early by `stop`, `finished` once it has ended and been saved. */
export interface ActiveAnswer {
  stop(): void;
  finished: Promise<void>;
}

/**
 * The process's one shutdown state. Next bundles instrumentation.ts and each route apart, each with
 * its own copy of this module: the state lives on globalThis so that the handler installed at
 * start-up sees the answers the analyze route tracks.
 */
interface ShutdownState {
  active: Set<ActiveAnswer>;
  draining: boolean;
  installed: boolean;
}
const state: ShutdownState = ((globalThis as { [key: symbol]: ShutdownState })[Symbol.for("multimodal-reasoning-agent.shutdown")] ??= {
  active: new Set(),
  draining: false,
  installed: false,
});
const { active } = state;

/** Longest wait for the answers stopped at the end of the grace period to be saved. */
const SAVE_AFTER_STOP_MS = 6_000;

export function isDraining(): boolean {
  return state.draining;
}

/** Counts an answer in until its `finished` settles. */
export function trackAnswer(answer: ActiveAnswer): void {
  active.add(answer);
  void answer.finished.finally(() => active.delete(answer));
}

export function activeAnswers(): number {
  return active.size;
}

export function shuttingDownError(): AppError {
  return new AppError("server_restarting", "This server is restarting. Try again in a moment.", { retryAfterSeconds: 5 });
}

export function answerCutByRestartError(): AppError {
  return new AppError("server_restarting", "The server restarted before this answer was finished. What was written is kept; ask again to continue.");
}

/** Waits for the answers in progress, up to `graceMs`, then stops the rest and waits for them to be saved. */
export async function drain(graceMs: number): Promise<{ finished: number; stopped: number }> {
  state.draining = true;
  const started = active.size;
  const allFinished = () => Promise.allSettled([...active].map((answer) => answer.finished));
  await Promise.race([allFinished(), delay(graceMs)]);
  const remaining = [...active];
  for (const answer of remaining) answer.stop();
  await Promise.race([allFinished(), delay(SAVE_AFTER_STOP_MS)]);
  return { finished: started - remaining.length, stopped: remaining.length };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * Takes over SIGTERM and SIGINT from Next, whose own handler exits at once with 143 and cuts every
 * answer mid-stream. Called from instrumentation.ts, which runs after Next has installed it.
 */
export function installShutdownHandler(graceMs: number, log: (line: Record<string, unknown>) => void): void {
  if (state.installed) return;
  state.installed = true;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => {
      log({ component: "shutdown", event: "draining", signal, answers: active.size, graceSeconds: graceMs / 1000 });
      void drain(graceMs).then((result) => {
        log({ component: "shutdown", event: "exit", ...result });
        process.exit(0);
      });
    });
  }
}
