import { describe, expect, it } from "vitest";
import { initialAnswer, reduceAnswer, type AnswerAction, type AnswerState } from "@/lib/streaming/answer-state";
import type { MetaEvent } from "@/lib/streaming/events";

const META: MetaEvent = {
  provider: "offline",
  model: "none",
  image: { width: 10, height: 20, bytes: 300, mimeType: "image/png" },
};

function run(...actions: AnswerAction[]): AnswerState {
  return actions.reduce(reduceAnswer, initialAnswer);
}

const streaming: AnswerAction[] = [
  { type: "start", startedAt: 1000 },
  { event: "meta", data: META },
  { event: "delta", data: { text: "## Overview\n" } },
  { event: "delta", data: { text: "An API." } },
];

describe("reduceAnswer", () => {
  it("starts idle and empty", () => {
    expect(initialAnswer).toMatchObject({ phase: "idle", markdown: "", error: null, meta: null, finish: null });
  });

  it("goes from sending to streaming, accumulating deltas in order", () => {
    expect(run({ type: "start", startedAt: 1000 })).toMatchObject({ phase: "sending", startedAt: 1000, markdown: "" });
    expect(run(...streaming)).toMatchObject({ phase: "streaming", meta: META, markdown: "## Overview\nAn API." });
  });

  it("ends done with the finish reason and usage, keeping the answer", () => {
    const state = run(...streaming, { event: "done", data: { finishReason: "length", usage: { totalTokens: 7 } } });
    expect(state).toMatchObject({
      phase: "done",
      markdown: "## Overview\nAn API.",
      finish: { finishReason: "length", usage: { totalTokens: 7 } },
      error: null,
    });
  });

  it("keeps the markdown when an error event arrives", () => {
    const state = run(...streaming, { event: "error", data: { code: "provider_unavailable", message: "Try again." } });
    expect(state).toMatchObject({ phase: "failed", markdown: "## Overview\nAn API.", error: "Try again." });
  });

  it("keeps the markdown when the person stops", () => {
    expect(run(...streaming, { type: "stopped" })).toMatchObject({ phase: "stopped", markdown: "## Overview\nAn API.", error: null });
  });

  it("keeps the markdown when the request fails on the client side", () => {
    expect(run(...streaming, { type: "failed", message: "Network down." })).toMatchObject({
      phase: "failed",
      markdown: "## Overview\nAn API.",
      error: "Network down.",
    });
  });

  it("goes back to the empty initial state when the server refuses the request before any answer", () => {
    // The form shows the reason (AnalyzerApp); the answer panel shows its placeholder again.
    expect(run({ type: "start", startedAt: 1000 }, { type: "rejected" })).toEqual(initialAnswer);
  });

  it("turns a stream that closed without done into a failure with a message, keeping the text", () => {
    const state = run(...streaming, { type: "closed" });
    expect(state.phase).toBe("failed");
    expect(state.markdown).toBe("## Overview\nAn API.");
    expect(state.error).toMatch(/connection closed before the answer was finished/i);
  });

  it("treats a close before any event as a failure too", () => {
    expect(run({ type: "start", startedAt: 1 }, { type: "closed" })).toMatchObject({ phase: "failed" });
  });

  it.each([
    ["done", [...streaming, { event: "done", data: { finishReason: "stop" } }, { type: "closed" }] as AnswerAction[]],
    ["stopped", [...streaming, { type: "stopped" }, { type: "closed" }] as AnswerAction[]],
    ["failed", [...streaming, { event: "error", data: { code: "internal_error", message: "Boom." } }, { type: "closed" }] as AnswerAction[]],
  ])("leaves a %s answer as it is when the stream then closes", (phase, actions) => {
    const before = run(...actions.slice(0, -1));
    expect(run(...actions)).toEqual(before);
    expect(before.phase).toBe(phase);
  });

  it("a new start clears the previous answer", () => {
    const state = run(...streaming, { event: "error", data: { code: "internal_error", message: "Boom." } }, { type: "start", startedAt: 2000 });
    expect(state).toEqual({ ...initialAnswer, phase: "sending", startedAt: 2000 });
  });

  it("does not mutate the previous state", () => {
    const before = run(...streaming);
    const copy = structuredClone(before);
    reduceAnswer(before, { event: "delta", data: { text: "!" } });
    expect(before).toEqual(copy);
  });
});
