import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { readAnalyzeForm } from "@/lib/upload/analyze-form";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_PROMPT_CHARS } from "@/lib/shared/limits";

function formError(fields: Record<string, string>): AppError {
  try {
    readAnalyzeForm(fields);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected readAnalyzeForm to throw an AppError");
}

describe("readAnalyzeForm", () => {
  it("returns the prompt trimmed, with no earlier turns when none are sent", () => {
    expect(readAnalyzeForm({ prompt: "  \n Explain this architecture \t " })).toEqual({ prompt: "Explain this architecture", history: [] });
  });

  it("reads the chosen provider and ignores unknown fields", () => {
    expect(readAnalyzeForm({ prompt: "Explain", provider: " openai ", colour: "blue" })).toEqual({
      prompt: "Explain",
      provider: "openai",
      history: [],
    });
    expect(readAnalyzeForm({ prompt: "Explain", provider: "" })).toEqual({ prompt: "Explain", provider: undefined, history: [] });
  });

  it.each([
    ["missing", {}],
    ["empty", { prompt: "" }],
    ["whitespace only", { prompt: " \n\t  " }],
  ])("rejects a %s prompt with 400 missing_prompt and an example task", (_label, fields) => {
    const error = formError(fields);
    expect(error).toMatchObject({ code: "missing_prompt", status: 400 });
    expect(error.message).toContain("Explain this architecture");
  });

  it("accepts exactly 10,000 characters", () => {
    expect(MAX_PROMPT_CHARS).toBe(10_000);
    const prompt = "a".repeat(10_000);
    expect(readAnalyzeForm({ prompt }).prompt).toHaveLength(10_000);
  });

  it("counts the length after trimming", () => {
    expect(readAnalyzeForm({ prompt: `  ${"a".repeat(10_000)}  ` }).prompt).toHaveLength(10_000);
  });

  it("rejects 10,001 characters with 400 invalid_request naming the limit", () => {
    const error = formError({ prompt: "a".repeat(10_001) });
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toContain("10,000");
  });
});

describe("readAnalyzeForm: depth", () => {
  it.each(["minimal", "low", "medium", "high"])("reads depth=%s", (depth) => {
    expect(readAnalyzeForm({ prompt: "Explain", depth }).depth).toBe(depth);
  });

  it("trims the depth, and treats a blank one as absent (the provider's default)", () => {
    expect(readAnalyzeForm({ prompt: "Explain", depth: " high " }).depth).toBe("high");
    expect(readAnalyzeForm({ prompt: "Explain", depth: "  " }).depth).toBeUndefined();
    expect(readAnalyzeForm({ prompt: "Explain" }).depth).toBeUndefined();
  });

  it.each(["HIGH", "max", "3", "dynamic"])("rejects depth=%s with 400 invalid_request naming the depths", (depth) => {
    const error = formError({ prompt: "Explain", depth });
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toBe("Depth must be one of: minimal, low, medium, high.");
  });
});

describe("readAnalyzeForm: imageId", () => {
  // What the image store makes: base64url of an HMAC-SHA256, 43 characters.
  const ID = "u4S2n0rLq_7v-Xb9yYtZ3kPq1wE5rT6yU8iO0pA2sD4";

  it("reads a kept image's id, trimmed", () => {
    expect(readAnalyzeForm({ prompt: "And the queue?", imageId: ` ${ID} ` }).imageId).toBe(ID);
  });

  it("treats a blank id as absent", () => {
    expect(readAnalyzeForm({ prompt: "Explain", imageId: "" }).imageId).toBeUndefined();
  });

  it.each([
    ["a path", "../../etc/passwd"],
    ["spaces inside", "abc def"],
    ["base64 padding", "abc="],
    ["over 100 characters", "a".repeat(101)],
  ])("rejects an id with %s as invalid_request", (_label, imageId) => {
    const error = formError({ prompt: "Explain", imageId });
    expect(error).toMatchObject({ code: "invalid_request", status: 400, message: "The image id is not valid." });
  });
});

describe("readAnalyzeForm: history", () => {
  const turns = [
    { task: "What does the API Gateway do?", answer: "It routes requests." },
    { task: "And the queue?", answer: "It buffers orders." },
  ];

  it("refuses an earlier turn without an answer, which Gemini would refuse too", () => {
    const error = formError({ prompt: "More", history: JSON.stringify([{ task: "And the queue?", answer: " \n" }]) });
    expect(error).toMatchObject({ code: "invalid_request", status: 400, message: "Each earlier turn needs the answer it got." });
  });

  it("reads the earlier turns, oldest first, from one JSON field", () => {
    expect(readAnalyzeForm({ prompt: "What does it connect to?", history: JSON.stringify(turns) }).history).toEqual(turns);
  });

  it("trims each earlier task but keeps each answer as it was (markdown's spacing matters)", () => {
    const history = JSON.stringify([{ task: "  What is this?  ", answer: "  indented code\n" }]);
    expect(readAnalyzeForm({ prompt: "More", history }).history).toEqual([{ task: "What is this?", answer: "  indented code\n" }]);
  });

  it("keeps only task and answer from each turn", () => {
    const history = JSON.stringify([{ task: "Explain", answer: "An API.", thoughts: "secret reasoning", id: 3 }]);
    expect(readAnalyzeForm({ prompt: "More", history }).history).toEqual([{ task: "Explain", answer: "An API." }]);
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["blank", "  "],
    ["an empty list", "[]"],
  ])("reads %s history as no earlier turns", (_label, history) => {
    const fields: Record<string, string> = { prompt: "Explain" };
    if (history !== undefined) fields.history = history;
    expect(readAnalyzeForm(fields).history).toEqual([]);
  });

  it("rejects history that is not JSON with 400 invalid_request saying so", () => {
    const error = formError({ prompt: "More", history: "[{task: 'Explain'}]" });
    expect(error).toMatchObject({ code: "invalid_request", status: 400, message: "The conversation history is not valid JSON." });
  });

  it.each([
    ["an object instead of a list", { task: "Explain", answer: "An API." }],
    ["null", null],
    ["a list of strings", ["Explain", "An API."]],
    ["a turn without its answer", [{ task: "Explain" }]],
    ["a turn without its task", [{ answer: "An API." }]],
    ["an answer that is not text", [{ task: "Explain", answer: 42 }]],
    ["a null turn", [null]],
  ])("rejects %s with a message naming the expected shape", (_label, value) => {
    const error = formError({ prompt: "More", history: JSON.stringify(value) });
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toBe("The conversation history must be a list of {task, answer} turns.");
  });

  it("rejects a turn with a blank task", () => {
    const error = formError({ prompt: "More", history: JSON.stringify([{ task: "  ", answer: "An API." }]) });
    expect(error).toMatchObject({ code: "invalid_request", message: "Each earlier turn needs its task." });
  });

  it("rejects an earlier task over the prompt limit, naming the limit", () => {
    const error = formError({ prompt: "More", history: JSON.stringify([{ task: "a".repeat(MAX_PROMPT_CHARS + 1), answer: "An answer." }]) });
    expect(error.code).toBe("invalid_request");
    expect(error.message).toContain("10,000 characters");
  });

  it(`accepts ${MAX_HISTORY_TURNS} earlier turns and rejects ${MAX_HISTORY_TURNS + 1}`, () => {
    expect(MAX_HISTORY_TURNS).toBe(50);
    const many = (count: number) => JSON.stringify(Array.from({ length: count }, (_, index) => ({ task: `Question ${index}`, answer: "Yes." })));
    expect(readAnalyzeForm({ prompt: "More", history: many(MAX_HISTORY_TURNS) }).history).toHaveLength(MAX_HISTORY_TURNS);
    const error = formError({ prompt: "More", history: many(MAX_HISTORY_TURNS + 1) });
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toBe("A conversation may carry at most 50 earlier turns.");
  });

  it("counts tasks and answers together against the character limit", () => {
    expect(MAX_HISTORY_CHARS).toBe(200_000);
    const exactly = JSON.stringify([
      { task: "a".repeat(4), answer: "b".repeat(100_000 - 4) },
      { task: "c".repeat(6), answer: "d".repeat(100_000 - 6) },
    ]);
    expect(readAnalyzeForm({ prompt: "More", history: exactly }).history).toHaveLength(2);

    const oneOver = JSON.stringify([
      { task: "a".repeat(4), answer: "b".repeat(100_000 - 4) },
      { task: "c".repeat(6), answer: "d".repeat(100_000 - 5) },
    ]);
    const error = formError({ prompt: "More", history: oneOver });
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toBe("The conversation history is longer than 200,000 characters.");
  });

  it("still reports a missing prompt as missing_prompt when the history is fine", () => {
    expect(formError({ history: JSON.stringify(turns) })).toMatchObject({ code: "missing_prompt" });
  });
});
