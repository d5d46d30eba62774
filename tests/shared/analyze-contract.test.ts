import { describe, expect, it } from "vitest";
import {
  ANALYZE_FIELDS,
  ANALYZE_PROTOCOL_HEADER,
  ANALYZE_PROTOCOL_HEADERS,
  ANALYZE_PROTOCOL_VERSION,
  analyzeEventSchema,
  analyzeFormSchema,
  errorBodySchema,
} from "@/lib/shared/analyze-contract";
import { AppError } from "@/lib/shared/errors";

describe("the analyze contract", () => {
  it("names each form field once, as the server's schema reads it", () => {
    const form = analyzeFormSchema.parse({
      [ANALYZE_FIELDS.prompt]: " Explain ",
      [ANALYZE_FIELDS.provider]: "offline",
      [ANALYZE_FIELDS.imageId]: "abc-123",
      [ANALYZE_FIELDS.history]: JSON.stringify([{ task: "What is it?", answer: "An API." }]),
    });
    expect(form).toEqual({ prompt: "Explain", provider: "offline", imageId: "abc-123", history: [{ task: "What is it?", answer: "An API." }] });
    expect(ANALYZE_FIELDS.image).toBe("image");
  });

  it("describes the protocol version as a header", () => {
    expect(ANALYZE_PROTOCOL_HEADERS).toEqual({ [ANALYZE_PROTOCOL_HEADER]: ANALYZE_PROTOCOL_VERSION });
    expect(ANALYZE_PROTOCOL_HEADER.toLowerCase()).toBe("x-analyze-protocol");
  });

  it("tells events apart by name and keeps their fields", () => {
    const meta = { provider: "openai", model: "m", image: { width: 1, height: 2, bytes: 3, mimeType: "image/png" }, imageId: "id" };
    expect(analyzeEventSchema.parse({ event: "meta", data: meta })).toEqual({ event: "meta", data: meta });
    expect(analyzeEventSchema.parse({ event: "thought", data: { text: "Hm." } })).toEqual({ event: "thought", data: { text: "Hm." } });
    expect(analyzeEventSchema.parse({ event: "done", data: { finishReason: "length" } })).toEqual({ event: "done", data: { finishReason: "length" } });
    expect(analyzeEventSchema.safeParse({ event: "delta", data: { words: "hi" } }).success).toBe(false);
  });

  it("describes the error body every AppError writes", () => {
    const body = new AppError("provider_quota", "Wait.", { retryAfterSeconds: 12 }).toBody();
    expect(errorBodySchema.parse(body)).toEqual(body);
    expect(errorBodySchema.safeParse({ error: { message: "no code" } }).success).toBe(false);
  });
});
