import "server-only";
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { OpenAISettings } from "@/lib/config";
import { AppError } from "@/lib/shared/errors";
import { chatTurns } from "@/lib/providers/chat-turns";
import { startModelAnswer, type ChunkReading, type FinishClass } from "@/lib/providers/model-stream";
import {
  displayEndpoint,
  isNetworkFailure,
  reportedError,
  unreachableError,
  upstreamHttpError,
} from "@/lib/providers/provider-errors";
import { SYSTEM_INSTRUCTION } from "@/lib/providers/system-instruction";
import type { AnalysisInput, Provider } from "@/lib/providers/types";

const PROVIDER_NAME = "the model server";

/**
 * How servers say a model cannot read images: Ollama ("does not support images"), vLLM ("is not a
 * multimodal model"), llama.cpp ("image input is not supported"), OpenAI ("image_url is only
 * supported by certain models"). Other image errors ("image too large") are not this.
 */
const NO_VISION =
  /(does not|doesn't) support (images|image input|vision)|not a multi-?modal model|image input is not supported|(image_url|images?) (is|are) only supported by certain models|vision is not (supported|enabled)/i;

/**
 * Any server that speaks OpenAI's Chat Completions with image input: Ollama, vLLM, LM Studio,
 * llama.cpp's server, OpenAI itself. The image goes as a data URL, so the server needs no access
 * to this one.
 */
export function createOpenAICompatibleProvider(settings: OpenAISettings, options: { maxRetries: number }): Provider {
  const endpoint = displayEndpoint(settings.baseUrl);
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    // The SDK insists on a key; local servers ignore the header.
    apiKey: settings.apiKey ?? "no-key",
    maxRetries: options.maxRetries,
    fetch: modelServerFetch,
  });

  return {
    id: "openai",
    model: settings.model,
    label: `${settings.model} · ${new URL(settings.baseUrl).host}`,
    // Servers differ in what reasoning controls they take (and some refuse unknown ones), so no
    // depth is sent; reasoning they stream anyway is shown.
    depths: [],
    analyze: (input) =>
      startModelAnswer<ChatCompletionChunk>({
        providerName: PROVIDER_NAME,
        signal: input.signal,
        open: () =>
          client.chat.completions.create(
            { model: settings.model, stream: true, stream_options: { include_usage: true }, messages: messages(input) },
            { signal: input.signal },
          ),
        read: readChunk,
        classifyFinish,
        toAppError: (error) => mapOpenAIError(error, settings.model, endpoint),
        isConnectionFailure: (error) => error instanceof APIConnectionError || isNetworkFailure(error),
        secrets: [settings.apiKey],
        onProviderFinish: input.onProviderFinish,
      }),
  };
}

/** The image once, with the first question; then each answer and question in turn. */
function messages(input: AnalysisInput): ChatCompletionMessageParam[] {
  const imageUrl = `data:${input.image.mimeType};base64,${input.image.data.toString("base64")}`;
  return [
    { role: "system", content: SYSTEM_INSTRUCTION },
    ...chatTurns(input).map((turn): ChatCompletionMessageParam =>
      turn.role === "model"
        ? { role: "assistant", content: turn.text }
        : {
            role: "user",
            content: turn.withImage ? [{ type: "image_url", image_url: { url: imageUrl } }, { type: "text", text: turn.text }] : turn.text,
          },
    ),
  ];
}

/**
 * Reasoning models on these servers stream their thinking beside the answer, under a name the
 * OpenAI API does not define: `reasoning_content` (vLLM, DeepSeek, LM Studio) or `reasoning`
 * (Ollama, OpenRouter).
 */
interface ReasoningDelta {
  reasoning_content?: unknown;
  reasoning?: unknown;
}

function readChunk(chunk: ChatCompletionChunk): ChunkReading {
  const choice = chunk.choices[0];
  const text = choice?.delta?.content;
  const { reasoning_content: reasoningContent, reasoning } = (choice?.delta ?? {}) as ReasoningDelta;
  const thought = typeof reasoningContent === "string" ? reasoningContent : reasoning;
  return {
    thoughts: typeof thought === "string" && thought ? [thought] : [],
    texts: text ? [text] : [],
    finishReason: choice?.finish_reason ?? undefined,
    usage: chunk.usage
      ? {
          inputTokens: chunk.usage.prompt_tokens,
          outputTokens: chunk.usage.completion_tokens,
          totalTokens: chunk.usage.total_tokens,
        }
      : undefined,
  };
}

function classifyFinish(reason: string): FinishClass {
  if (reason === "stop") return "stop";
  if (reason === "length") return "length";
  return reason === "content_filter" ? "blocked" : "other";
}

/**
 * fetch as the SDK should see it, with two corrections:
 * - The SDK retries 409 and 429 too, sleeping as long as Retry-After says. Like the Gemini
 *   provider, this one retries only transient failures and tells the person about a rate limit
 *   at once; `x-should-retry: false` is the SDK's own switch for that.
 * - The SDK reads on after `data: [DONE]` until the server closes the connection; a server that
 *   keeps it open would leave a finished answer hanging until the idle timeout.
 */
const modelServerFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.status === 409 || response.status === 429) {
    const headers = new Headers(response.headers);
    headers.set("x-should-retry", "false");
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
  const isEventStream = response.headers.get("content-type")?.startsWith("text/event-stream");
  if (!response.ok || !isEventStream || !response.body) return response;
  return new Response(endAtDone(response.body), { status: response.status, statusText: response.statusText, headers: response.headers });
};

/** Passes an SSE body through and ends it at the `data: [DONE]` line, cancelling the rest. */
function endAtDone(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  // The last characters seen, so a marker split across chunks is still found; the leading
  // newline stands for the start of the stream.
  let tail = "\n";
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      controller.enqueue(value);
      tail = (tail + decoder.decode(value, { stream: true })).slice(-64);
      if (/\ndata: ?\[DONE\]\r?\n/.test(tail)) {
        controller.close();
        await reader.cancel();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

function mapOpenAIError(error: unknown, model: string, endpoint: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new AppError("provider_timeout", `The model server at ${endpoint} took too long to answer.`, { cause: error });
  }
  if (error instanceof APIConnectionError) return unreachableError(PROVIDER_NAME, endpoint, error);
  if (error instanceof APIError) {
    const detail = serverMessage(error);
    if (NO_VISION.test(detail)) {
      return new AppError("image_not_supported", `The model “${model}” on ${endpoint} does not accept images. Configure a vision model (for example qwen2.5vl, llama3.2-vision or gemma3).`, { cause: error });
    }
    if (error.status === undefined) {
      // An error event inside the stream: no HTTP status, but the server's own words.
      return reportedError(PROVIDER_NAME, detail, error);
    }
    return upstreamHttpError(
      { provider: PROVIDER_NAME, status: error.status, detail, model, endpoint, retryAfterSeconds: retryAfter(error.headers) },
      error,
    );
  }
  if (isNetworkFailure(error)) return unreachableError(PROVIDER_NAME, endpoint, error);
  return new AppError("provider_error", `The model server at ${endpoint} sent a response this server could not read.`, { cause: error });
}

/** The server's own words: `{"error":{"message"}}` (OpenAI, vLLM) or `{"error":"…"}` (Ollama). */
function serverMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | string | undefined;
  if (typeof body === "string") return body;
  if (body && typeof body.message === "string") return body.message;
  return error.message;
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
