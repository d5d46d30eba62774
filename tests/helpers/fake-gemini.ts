import type { ErrorReply, StreamReply } from "@/tests/helpers/fake-model-server";

/**
 * Gemini's side of the fake model server (tests/helpers/fake-model-server.ts): what the SDK sends to
 * `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`, and builders for what the real API
 * answers: `GenerateContentResponse` chunks, or Google's JSON error body. Only types come from the
 * server module, so the server can use these builders for its defaults.
 */

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
}

export interface GeminiRequestBody {
  /** The conversation: `user` and `model` turns, alternating, oldest first. */
  contents: Array<{ role: string; parts: GeminiPart[] }>;
  systemInstruction?: { parts: GeminiPart[] };
  generationConfig?: {
    /** The SDK's `config.thinkingConfig`; `thinkingLevel` as the API spells it: "LOW", "HIGH"… */
    thinkingConfig?: { includeThoughts?: boolean; thinkingLevel?: string; thinkingBudget?: number };
    [setting: string]: unknown;
  };
}

type StreamOptions = Pick<StreamReply, "delayMs" | "hangAfter" | "keepOpenAfterEnd" | "dropAfter" | "holdAfter" | "holdHeaders">;

/** One `GenerateContentResponse` with a single candidate. */
export function candidateChunk(parts: GeminiPart[], finishReason?: string): object {
  return { candidates: [{ content: { role: "model", parts }, index: 0, ...(finishReason ? { finishReason } : {}) }] };
}

/** A thought summary, as Gemini sends it when asked for `thinkingConfig.includeThoughts`. */
export function thoughtPart(text: string): GeminiPart {
  return { text, thought: true };
}

/**
 * An answer from a thinking model: a chunk per thought summary, then the answer's pieces, as
 * `textReply` sends them.
 */
export function thinkingReply(
  thoughts: string[],
  pieces: string[],
  options: StreamOptions & { finishReason?: string } = {},
): StreamReply {
  const answer = textReply(pieces, options);
  return { ...answer, chunks: [...thoughts.map((text) => candidateChunk([thoughtPart(text)])), ...answer.chunks] };
}

/** Any chunks, as a Gemini stream. */
export function streamReply(chunks: object[], options: StreamOptions = {}): StreamReply {
  return { protocol: "gemini", kind: "stream", chunks, ...options };
}

/** A streamed answer: one chunk per piece of text, the last with a finish reason and usage. */
export function textReply(pieces: string[], options: StreamOptions & { finishReason?: string } = {}): StreamReply {
  const { finishReason = "STOP", ...streamOptions } = options;
  const chunks = pieces.map((text) => candidateChunk([{ text }]));
  chunks.push({
    ...candidateChunk([{ text: "" }], finishReason),
    usageMetadata: { promptTokenCount: 1290, candidatesTokenCount: 42, totalTokenCount: 1332 },
  });
  return streamReply(chunks, streamOptions);
}

/** Google's error body, as the real API sends it. */
export function errorReply(status: number, message: string, statusName: string, details: object[] = []): ErrorReply {
  return { protocol: "gemini", kind: "error", status, body: { error: { code: status, message, status: statusName, details } } };
}
