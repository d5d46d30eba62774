import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SAVE_INTERVAL_MS, SAVE_TIMEOUT_MS, TurnRecorder } from "@/lib/history/turn-recorder";
import type { HistoryStore, TurnProgress } from "@/lib/store/history-store";
import { AppError } from "@/lib/shared/errors";

/** A store that records each write, or fails or hangs when told to. */
function recordingStore() {
  const writes: TurnProgress[] = [];
  let behaviour: "ok" | "fail" | "hang" = "ok";
  const store = {
    recordTurn: async (_turnId: string, progress: TurnProgress) => {
      if (behaviour === "fail") throw new Error("disk I/O error");
      if (behaviour === "hang") return new Promise<void>(() => undefined);
      writes.push(progress);
    },
  } as unknown as HistoryStore;
  return { store, writes, set: (next: typeof behaviour) => (behaviour = next) };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("TurnRecorder", () => {
  it("writes the text shown so far every interval while it streams, then the end with how it ended", async () => {
    const { store, writes } = recordingStore();
    const recorder = new TurnRecorder(store, "turn", Date.now(), () => undefined);
    recorder.sent({ event: "thought", data: { text: "Thinking" } });
    recorder.sent({ event: "delta", data: { text: "Part one. " } });
    await vi.advanceTimersByTimeAsync(SAVE_INTERVAL_MS);
    expect(writes.at(-1)).toMatchObject({ answer: "Part one. ", thoughts: "Thinking", status: "incomplete" });

    // Nothing new: no write.
    await vi.advanceTimersByTimeAsync(SAVE_INTERVAL_MS * 3);
    expect(writes).toHaveLength(1);

    recorder.sent({ event: "delta", data: { text: "Part two." } });
    await recorder.settle({ ended: "done", done: { finishReason: "stop", usage: { totalTokens: 9 } } });
    expect(writes.at(-1)).toMatchObject({ answer: "Part one. Part two.", status: "complete", finishReason: "stop", usage: { totalTokens: 9 } });
    // The first outcome wins; a later one (a client gone after done) changes nothing.
    await recorder.settle({ ended: "cancelled" });
    expect(writes.at(-1)?.status).toBe("complete");
  });

  it("records failures and stops with their code and message", async () => {
    const { store, writes } = recordingStore();
    const recorder = new TurnRecorder(store, "turn", Date.now(), () => undefined);
    recorder.sent({ event: "delta", data: { text: "Half" } });
    await recorder.settle({ ended: "error", error: new AppError("provider_timeout", "The model stopped answering.") });
    expect(writes.at(-1)).toMatchObject({ answer: "Half", status: "failed", errorCode: "provider_timeout", errorMessage: "The model stopped answering." });
  });

  it("tells the page once when a write fails, logs it once, and writes no more", async () => {
    const { store, writes, set } = recordingStore();
    const logged: unknown[] = [];
    const recorder = new TurnRecorder(store, "turn", Date.now(), (error) => logged.push(error));
    expect(recorder.takeNotice()).toBeUndefined();
    set("fail");
    recorder.sent({ event: "delta", data: { text: "Shown" } });
    await vi.advanceTimersByTimeAsync(SAVE_INTERVAL_MS);
    expect(recorder.takeNotice()).toMatchObject({ event: "unsaved" });
    expect(recorder.takeNotice()).toBeUndefined();
    set("ok");
    await recorder.settle({ ended: "done", done: { finishReason: "stop" } });
    expect(writes).toEqual([]);
    expect(logged).toHaveLength(1);
  });

  it("treats a write that hangs as failed, so the answer's end is not held", async () => {
    const { store, set } = recordingStore();
    set("hang");
    const recorder = new TurnRecorder(store, "turn", Date.now(), () => undefined);
    recorder.sent({ event: "delta", data: { text: "Shown" } });
    const settled = recorder.settle({ ended: "done", done: { finishReason: "stop" } });
    await vi.advanceTimersByTimeAsync(SAVE_TIMEOUT_MS);
    await settled;
    expect(recorder.takeNotice()).toMatchObject({ event: "unsaved" });
  });
});
