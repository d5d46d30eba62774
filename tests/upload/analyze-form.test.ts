import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { MAX_PROMPT_CHARS, readAnalyzeForm } from "@/lib/upload/analyze-form";

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
  it("returns the prompt trimmed", () => {
    expect(readAnalyzeForm({ prompt: "  \n Explain this architecture \t " })).toEqual({ prompt: "Explain this architecture" });
  });

  it("reads the chosen provider and ignores unknown fields", () => {
    expect(readAnalyzeForm({ prompt: "Explain", provider: " openai ", colour: "blue" })).toEqual({
      prompt: "Explain",
      provider: "openai",
    });
    expect(readAnalyzeForm({ prompt: "Explain", provider: "" })).toEqual({ prompt: "Explain", provider: undefined });
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
