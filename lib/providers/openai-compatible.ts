import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type { OpenAISettings } from "@/lib/config";
import { AppError } from "@/lib/errors";
import {
  connectionLostError,
  contentBlockedError,
  isAbortError,
  isNetworkFailure,
  unreachableError,
  upstreamHttpError,
} from "@/lib/providers/provider-errors";
import { SYSTEM_INSTRUCTION } from "@/lib/providers/system-instruction";
import type { FinishReason, Provider, ProviderEvent, TokenUsage } from "@/lib/providers/types";

const PROVIDER_NAME = "the model server";

/** How servers say a model cannot read images: Ollama, vLLM, LM Studio, llama.cpp and OpenAI. */
const NO_VISION = /image|vision|multi-?modal/i;

/**
 * Any server that speaks OpenAI's Chat Completions with image input: Ollama, vLLM, LM Studio,
 * llama.cpp's server, OpenAI itself. The image goes as a data URL, so the server needs no access
 * to this one.
 */
export function createOpenAICompatibleProvider(settings: OpenAISettings, options: { maxRetries: number }): Provider {
  const client = new OpenAI({
    baseURL: settings.baseUrl,
    // The SDK insists on a key; local servers ignore the header.
    apiKey: settings.apiKey ?? "no-key",
    maxRetries: options.maxRetries,
    fetch: withoutRetryOfRateLimits,
  });

  return {
    id: "openai",
    model: settings.model,
    label: `${settings.model} · ${new URL(settings.baseUrl).host}`,
    async *analyze({ image, prompt, signal }): AsyncGenerator<ProviderEvent> {
      let finishReason: string | null = null;
      let usage: TokenUsage | undefined;
      let answered = false;
      try {
        const stream = await client.chat.completions.create(
          {
            model: settings.model,
            stream: true,
            stream_options: { include_usage: true },
            messages: [
              { role: "system", content: SYSTEM_INSTRUCTION },
              {
                role: "user",
                content: [
                  { type: "image_url", image_url: { url: `data:${image.mimeType};base64,${image.data.toString("base64")}` } },
                  { type: "text", text: prompt },
                ],
              },
            ],
          },
          { signal },
        );
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          const text = choice?.delta?.content;
          if (text) {
            answered = true;
            yield { type: "delta", text };
          }
          finishReason = choice?.finish_reason ?? finishReason;
          if (chunk.usage) {
            usage = {
              inputTokens: chunk.usage.prompt_tokens,
              outputTokens: chunk.usage.completion_tokens,
              totalTokens: chunk.usage.total_tokens,
            };
          }
        }
      } catch (error) {
        if (signal.aborted && isAbortError(error)) return;
        if (answered && (error instanceof APIConnectionError || isNetworkFailure(error))) {
          throw connectionLostError(PROVIDER_NAME, error);
        }
        throw mapOpenAIError(error, settings);
      }
      // The SDK ends an aborted stream without an error: nobody is listening, say nothing more.
      if (signal.aborted) return;
      if (finishReason === "content_filter") throw contentBlockedError(PROVIDER_NAME, "content_filter");
      yield { type: "done", finishReason: normaliseFinishReason(finishReason), ...(usage ? { usage } : {}) };
    },
  };
}

/**
 * The SDK retries 409 and 429 too, sleeping as long as Retry-After says. Like the Gemini
 * provider, this one retries only transient failures and tells the person about a rate limit at
 * once; `x-should-retry: false` is the SDK's own switch for that.
 */
const withoutRetryOfRateLimits: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.status !== 409 && response.status !== 429) return response;
  const headers = new Headers(response.headers);
  headers.set("x-should-retry", "false");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
};

function normaliseFinishReason(reason: string | null): FinishReason {
  if (reason === null || reason === "stop") return "stop";
  if (reason === "length") return "length";
  return "other";
}

function mapOpenAIError(error: unknown, settings: OpenAISettings): AppError {
  if (error instanceof AppError) return error;
  const endpoint = settings.baseUrl;
  if (error instanceof APIConnectionTimeoutError) {
    return new AppError("provider_timeout", 504, `The model server at ${endpoint} took too long to answer.`, undefined, {
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) return unreachableError(PROVIDER_NAME, endpoint, error);
  if (error instanceof APIError && error.status !== undefined) {
    const detail = serverMessage(error);
    if ([400, 415, 422, 500].includes(error.status) && NO_VISION.test(detail)) {
      return new AppError(
        "image_not_supported",
        502,
        `The model “${settings.model}” on ${endpoint} does not accept images. Configure a vision model (for example qwen2.5vl, llama3.2-vision or gemma3).`,
        undefined,
        { cause: error },
      );
    }
    return upstreamHttpError(
      {
        provider: PROVIDER_NAME,
        status: error.status,
        detail,
        model: settings.model,
        endpoint,
        retryAfterSeconds: retryAfter(error.headers),
      },
      error,
    );
  }
  if (isNetworkFailure(error)) return unreachableError(PROVIDER_NAME, endpoint, error);
  return new AppError("provider_error", 502, `The model server at ${endpoint} sent a response this server could not read.`, undefined, {
    cause: error,
  });
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
