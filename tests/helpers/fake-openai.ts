import type { ChatCompletionChunk } from "openai/resources/chat/completions";
import type { ErrorReply, StreamReply } from "@/tests/helpers/fake-model-server";

/**
 * The OpenAI Chat Completions side of the fake model server (tests/helpers/fake-model-server.ts):
 * what the SDK sends to `POST /v1/chat/completions`, and builders for what OpenAI-compatible
 * servers answer: `chat.completion.chunk` objects, or an error body in OpenAI's (and vLLM's)
 * `{"error":{"message","type","code"}}` shape or Ollama's `{"error":"…"}`. Only types come from the
 * server module, so the server can use these builders for its defaults.
 */

export interface OpenAIContentPart {
  type: "text" | "image_url";
  text?: string;
  image_url?: { url: string; detail?: string };
}

export interface OpenAIRequestBody {
  model: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  messages: Array<{ role: string; content: string | OpenAIContentPart[] }>;
  [setting: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export const DEFAULT_USAGE: Usage = { prompt_tokens: 1290, completion_tokens: 42, total_tokens: 1332 };

type StreamOptions = Pick<StreamReply, "delayMs" | "hangAfter" | "keepOpenAfterEnd" | "dropAfter" | "holdAfter" | "holdHeaders">;

type FinishReason = ChatCompletionChunk.Choice["finish_reason"];

const CHUNK_FIELDS = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_760_000_000, model: "fake-model" } as const;

/** One chunk with one choice: a delta (role and/or content) and, on the last, a finish reason. */
export function deltaChunk(delta: ChatCompletionChunk.Choice.Delta, finishReason: FinishReason = null): ChatCompletionChunk {
  return { ...CHUNK_FIELDS, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] };
}

/**
 * Where a reasoning model's thinking goes in a delta: `reasoning_content` (vLLM, DeepSeek, LM
 * Studio) or `reasoning` (Ollama, OpenRouter). Neither is in OpenAI's own types.
 */
export type ReasoningField = "reasoning_content" | "reasoning";

/** One chunk of a reasoning model's thinking, under the field its server uses. */
export function reasoningChunk(text: string, field: ReasoningField = "reasoning_content"): ChatCompletionChunk {
  return deltaChunk({ [field]: text } as ChatCompletionChunk.Choice.Delta);
}

/** An answer from a reasoning model: the role with the first thought, then `textReply`'s chunks. */
export function reasoningReply(
  thoughts: string[],
  pieces: string[],
  options: StreamOptions & { field?: ReasoningField; finishReason?: FinishReason; usage?: Usage | null } = {},
): StreamReply {
  const { field = "reasoning_content", ...answerOptions } = options;
  const answer = textReply(pieces, answerOptions);
  const reasoning = thoughts.map((text, index) =>
    index === 0 ? deltaChunk({ role: "assistant", [field]: text } as ChatCompletionChunk.Choice.Delta) : reasoningChunk(text, field),
  );
  return { ...answer, chunks: [...reasoning, ...answer.chunks] };
}

/** The chunk sent after the answer when the request set `stream_options.include_usage`: no choices. */
export function usageChunk(usage: Usage = DEFAULT_USAGE): ChatCompletionChunk {
  return { ...CHUNK_FIELDS, choices: [], usage };
}

/** Any chunks, as an OpenAI stream (`[DONE]` follows unless it hangs or drops). */
export function streamReply(chunks: object[], options: StreamOptions = {}): StreamReply {
  return { protocol: "openai", kind: "stream", chunks, ...options };
}

/**
 * A streamed answer as OpenAI sends it: the role with the first piece, one chunk per piece, an
 * empty delta carrying the finish reason, then the usage-only chunk (which the fake sends only
 * when the request asked for usage).
 */
export function textReply(
  pieces: string[],
  options: StreamOptions & { finishReason?: FinishReason; usage?: Usage | null } = {},
): StreamReply {
  const { finishReason = "stop", usage = DEFAULT_USAGE, ...streamOptions } = options;
  const chunks: object[] = pieces.map((content, index) => deltaChunk(index === 0 ? { role: "assistant", content } : { content }));
  chunks.push(deltaChunk({}, finishReason));
  if (usage) chunks.push(usageChunk(usage));
  return streamReply(chunks, streamOptions);
}

/** OpenAI's error body, also what vLLM and LM Studio send. */
export function errorReply(
  status: number,
  message: string,
  options: { type?: string; code?: string | null; headers?: Record<string, string> } = {},
): ErrorReply {
  const { type = "invalid_request_error", code = null, headers } = options;
  return { protocol: "openai", kind: "error", status, body: { error: { message, type, param: null, code } }, headers };
}

/** Ollama's error body: `{"error":"…"}`. */
export function ollamaErrorReply(status: number, message: string): ErrorReply {
  return { protocol: "openai", kind: "error", status, body: { error: message } };
}
