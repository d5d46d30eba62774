import { describe, expect, it } from "vitest";
import { initialAnswer, isRunning, reduceAnswer, storedAnswer, type AnswerAction, type AnswerState } from "@/lib/client/answer-state";
import type { MetaEvent } from "@/lib/shared/analyze-contract";
import type { StoredTurn } from "@/lib/shared/history-contract";

const META: MetaEvent = {
  provider: "offline",
  model: "none",
  image: { width: 10, height: 20, bytes: 300, mimeType: "image/png" },
};

function run(...actions: AnswerAction[]): AnswerState {
  return actions.reduce(reduceAnswer, initialAnswer);
}

const streaming: AnswerAction[] = [
  { type: "start", startedAt: 1000, sendsImage: true },
  { event: "upload", data: { loaded: 150, total: 300 } },
  { event: "upload", data: { loaded: 300, total: 300 } },
  { event: "sent", data: { withImage: true } },
  { event: "meta", data: META },
  { event: "thought", data: { text: "Reading the labels. " } },
  { event: "thought", data: { text: "Following the arrows." } },
  { event: "delta", data: { text: "## Overview\n" } },
  { event: "delta", data: { text: "An API." } },
];

describe("reduceAnswer", () => {
  it("starts idle and empty", () => {
    expect(initialAnswer).toMatchObject({
      phase: "idle",
      upload: null,
      sentImage: false,
      thoughts: "",
      markdown: "",
      error: null,
      meta: null,
      finish: null,
    });
    expect(isRunning(initialAnswer)).toBe(false);
  });

  it("goes through uploading, preparing, thinking and streaming, step by step", () => {
    const phases = streaming.map((_, index) => run(...streaming.slice(0, index + 1)).phase);
    expect(phases).toEqual(["uploading", "uploading", "uploading", "preparing", "thinking", "thinking", "thinking", "streaming", "streaming"]);
    expect(run(...streaming.slice(0, 1))).toMatchObject({ startedAt: 1000, markdown: "", upload: null });
  });

  it("counts every phase before the end as running", () => {
    for (let index = 0; index < streaming.length; index++) expect(isRunning(run(...streaming.slice(0, index + 1)))).toBe(true);
  });

  it("shows the upload's progress while it goes, and forgets it once the request is sent", () => {
    expect(run(...streaming.slice(0, 2))).toMatchObject({ phase: "uploading", upload: { loaded: 150, total: 300 }, sentImage: true });
    expect(run(...streaming.slice(0, 4))).toMatchObject({ phase: "preparing", upload: null, sentImage: true });
  });

  it("starts a follow-up that names a kept image as sending, with no upload", () => {
    expect(run({ type: "start", startedAt: 1000, sendsImage: false })).toMatchObject({ phase: "preparing", sentImage: false, upload: null });
    // Small requests may end without any progress event: `sent` alone says what went.
    const state = run({ type: "start", startedAt: 1000, sendsImage: false }, { event: "sent", data: { withImage: false } });
    expect(state).toMatchObject({ phase: "preparing", sentImage: false, upload: null });
  });

  it("starts a question that carries the file as uploading, before any progress is known", () => {
    expect(run({ type: "start", startedAt: 1000, sendsImage: true })).toMatchObject({ phase: "uploading", sentImage: true, upload: null });
  });

  it("keeps meta while the model thinks, and gathers its thoughts in order", () => {
    expect(run(...streaming.slice(0, 5))).toMatchObject({ phase: "thinking", meta: META, thoughts: "" });
    expect(run(...streaming.slice(0, 7))).toMatchObject({ phase: "thinking", thoughts: "Reading the labels. Following the arrows.", markdown: "" });
  });

  it("accumulates deltas in order, apart from the thoughts", () => {
    expect(run(...streaming)).toMatchObject({
      phase: "streaming",
      meta: META,
      thoughts: "Reading the labels. Following the arrows.",
      markdown: "## Overview\nAn API.",
    });
  });

  it("keeps streaming when a thought comes between deltas", () => {
    const state = run(...streaming, { event: "thought", data: { text: " And the queue." } }, { event: "delta", data: { text: " More." } });
    expect(state).toMatchObject({ phase: "streaming", thoughts: "Reading the labels. Following the arrows. And the queue.", markdown: "## Overview\nAn API. More." });
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

  it("notes that the answer is not being saved, and goes on streaming", () => {
    const state = run(...streaming, { event: "unsaved", data: { message: "The history database is unavailable." } }, { event: "delta", data: { text: " More." } });
    expect(state).toMatchObject({ phase: "streaming", unsaved: "The history database is unavailable.", markdown: "## Overview\nAn API. More." });
  });

  it("keeps the markdown when an error event arrives", () => {
    const state = run(...streaming, { event: "error", data: { code: "provider_unavailable", message: "Try again." } });
    expect(state).toMatchObject({ phase: "failed", markdown: "## Overview\nAn API.", error: "Try again." });
  });

  it("keeps the markdown and the thoughts when the person stops", () => {
    expect(run(...streaming, { type: "stopped" })).toMatchObject({
      phase: "stopped",
      markdown: "## Overview\nAn API.",
      thoughts: "Reading the labels. Following the arrows.",
      error: null,
    });
  });

  it("stops an upload under way, forgetting its progress", () => {
    const state = run(...streaming.slice(0, 2), { type: "stopped" });
    expect(state).toMatchObject({ phase: "stopped", upload: null, markdown: "" });
    expect(isRunning(state)).toBe(false);
  });

  it("ignores Stop once the answer has ended", () => {
    const done = run(...streaming, { event: "done", data: { finishReason: "stop" } });
    expect(reduceAnswer(done, { type: "stopped" })).toBe(done);
  });

  it("keeps the markdown when the request fails on the client side", () => {
    expect(run(...streaming, { type: "failed", message: "Network down." })).toMatchObject({
      phase: "failed",
      markdown: "## Overview\nAn API.",
      error: "Network down.",
    });
  });

  it("turns a stream that closed without done into a failure with a message, keeping the text", () => {
    const state = run(...streaming, { type: "closed" });
    expect(state.phase).toBe("failed");
    expect(state.markdown).toBe("## Overview\nAn API.");
    expect(state.error).toMatch(/connection closed before the answer was finished/i);
  });

  it.each([
    ["uploading", 2],
    ["preparing", 4],
    ["thinking", 6],
  ])("treats a close while %s as a failure too", (phase, actions) => {
    const before = run(...streaming.slice(0, actions));
    expect(before.phase).toBe(phase);
    expect(reduceAnswer(before, { type: "closed" })).toMatchObject({ phase: "failed", error: expect.stringMatching(/connection closed/i) });
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
    const state = run(...streaming, { event: "error", data: { code: "internal_error", message: "Boom." } }, { type: "start", startedAt: 2000, sendsImage: false });
    expect(state).toEqual({ ...initialAnswer, phase: "preparing", startedAt: 2000 });
  });

  it("does not mutate the previous state", () => {
    const before = run(...streaming);
    const copy = structuredClone(before);
    reduceAnswer(before, { event: "delta", data: { text: "!" } });
    expect(before).toEqual(copy);
  });
});

describe("storedAnswer", () => {
  const IMAGE = { width: 900, height: 360, bytes: 4321, mimeType: "image/png" };
  const TURN: StoredTurn = {
    id: "turn-0123456789",
    task: "Explain",
    answer: "## Overview\nAn API.",
    thoughts: "Reading the boxes.",
    status: "complete",
    provider: "gemini",
    model: "gemini-test",
    depth: "high",
    finishReason: "stop",
    errorCode: null,
    errorMessage: null,
    usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 },
    createdAt: "2026-03-01T10:00:00.000Z",
    firstTokenMs: 400,
    durationMs: 2000,
  };

  it("shows a complete turn as a finished answer, with its reasoning, model, image and tokens", () => {
    expect(storedAnswer(TURN, IMAGE)).toEqual({
      ...initialAnswer,
      phase: "done",
      markdown: "## Overview\nAn API.",
      thoughts: "Reading the boxes.",
      meta: { provider: "gemini", model: "gemini-test", image: IMAGE },
      finish: { finishReason: "stop", usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 } },
    });
    expect(isRunning(storedAnswer(TURN, IMAGE))).toBe(false);
  });

  it("keeps a complete answer's cut-off reason, for its note", () => {
    expect(storedAnswer({ ...TURN, finishReason: "length" }, IMAGE).finish?.finishReason).toBe("length");
  });

  it("shows a stopped turn as stopped, with the text the person saw", () => {
    const answer = storedAnswer({ ...TURN, status: "stopped", answer: "## Over", finishReason: null, usage: null }, IMAGE);
    expect(answer).toMatchObject({ phase: "stopped", markdown: "## Over", finish: null, error: null });
  });

  it("shows a failed turn with its text and the error it ended with", () => {
    const failed = { ...TURN, status: "failed" as const, answer: "Part", finishReason: null, errorCode: "provider_timeout", errorMessage: "The model took too long." };
    expect(storedAnswer(failed, IMAGE)).toMatchObject({ phase: "failed", markdown: "Part", error: "The model took too long." });
    expect(storedAnswer({ ...failed, errorMessage: null }, IMAGE).error).toMatch(/failed/);
  });

  it("shows a turn the server never finished as interrupted, not running, with its text", () => {
    const answer = storedAnswer({ ...TURN, status: "incomplete", answer: "It buff", finishReason: null }, IMAGE);
    expect(answer).toMatchObject({ phase: "interrupted", markdown: "It buff", error: null });
    expect(isRunning(answer)).toBe(false);
  });

  it("has no footer facts without the model or the image (turns carried in from before saving, a deleted image)", () => {
    expect(storedAnswer({ ...TURN, provider: null, model: null }, IMAGE).meta).toBeNull();
    expect(storedAnswer(TURN, null).meta).toBeNull();
  });
});
