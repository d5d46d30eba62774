import "server-only";
import {
  ApiError,
  FinishReason as GeminiFinishReason,
  GoogleGenAI,
  MediaResolution,
  ThinkingLevel,
  type Content,
  type GenerateContentResponse,
  type ThinkingConfig,
} from "@google/genai";
import type { GeminiSettings } from "@/lib/config";
import { THINKING_DEPTHS, type ThinkingDepth } from "@/lib/shared/thinking";
import { AppError } from "@/lib/shared/errors";
import { chatTurns } from "@/lib/providers/chat-turns";
import { startModelAnswer, type ChunkReading, type FinishClass } from "@/lib/providers/model-stream";
import { displayEndpoint, isNetworkFailure, unreachableError, upstreamHttpError } from "@/lib/providers/provider-errors";
import { SYSTEM_INSTRUCTION } from "@/lib/providers/system-instruction";
import type { AnalysisInput, Provider } from "@/lib/providers/types";

const PROVIDER_NAME = "Gemini";
const DEFAULT_ENDPOINT = "https://generativelanguage.googleapis.com";

/** Statuses worth another attempt. 429 is not among them: the person is told the wait instead. */
const RETRYABLE_STATUSES = [408, 500, 502, 503, 504];

const BLOCKING_FINISH_REASONS = new Set<string>([
  GeminiFinishReason.SAFETY,
  GeminiFinishReason.RECITATION,
  GeminiFinishReason.BLOCKLIST,
  GeminiFinishReason.PROHIBITED_CONTENT,
  GeminiFinishReason.SPII,
  GeminiFinishReason.IMAGE_SAFETY,
  GeminiFinishReason.IMAGE_PROHIBITED_CONTENT,
]);

export function createGeminiProvider(settings: GeminiSettings, options: { maxRetries: number }): Provider {
  const endpoint = displayEndpoint(settings.baseUrl ?? DEFAULT_ENDPOINT);
  const client = new GoogleGenAI({
    apiKey: settings.apiKey,
    httpOptions: {
      ...(settings.baseUrl ? { baseUrl: settings.baseUrl } : {}),
      retryOptions: {
        attempts: options.maxRetries + 1,
        initialDelay: 1,
        maxDelay: 8,
        httpStatusCodes: RETRYABLE_STATUSES,
      },
    },
  });

  const takesThinkingLevels = hasThinkingLevels(settings.model);
  return {
    id: "gemini",
    model: settings.model,
    label: `Gemini · ${settings.model}`,
    depths: takesThinkingLevels ? THINKING_DEPTHS : [],
    defaultDepth: takesThinkingLevels ? settings.thinkingLevel : undefined,
    analyze: (input) =>
      startModelAnswer<GenerateContentResponse>({
        providerName: PROVIDER_NAME,
        signal: input.signal,
        // No sampling parameters: Gemini 3.x models are tuned for their defaults and deprecate them.
        open: () =>
          client.models.generateContentStream({
            model: settings.model,
            contents: conversation(input),
            config: {
              systemInstruction: SYSTEM_INSTRUCTION,
              thinkingConfig: thinkingConfig(takesThinkingLevels ? (input.depth ?? settings.thinkingLevel) : undefined),
              ...(settings.mediaResolution ? { mediaResolution: MEDIA_RESOLUTIONS[settings.mediaResolution] } : {}),
              abortSignal: input.signal,
            },
          }),
        read: readChunk,
        classifyFinish,
        toAppError: (error) => mapGeminiError(error, settings.model, endpoint),
        secrets: [settings.apiKey],
        onProviderFinish: input.onProviderFinish,
      }),
  };
}

/** The image once, with the first question; then each answer and question in turn. */
function conversation(input: AnalysisInput): Content[] {
  const imagePart = { inlineData: { mimeType: input.image.mimeType, data: input.image.data.toString("base64") } };
  return chatTurns(input).map((turn): Content =>
    turn.role === "model"
      ? { role: "model", parts: [{ text: turn.text }] }
      : { role: "user", parts: turn.withImage ? [imagePart, { text: turn.text }] : [{ text: turn.text }] },
  );
}

const THINKING_LEVELS: Record<ThinkingDepth, ThinkingLevel> = {
  minimal: ThinkingLevel.MINIMAL,
  low: ThinkingLevel.LOW,
  medium: ThinkingLevel.MEDIUM,
  high: ThinkingLevel.HIGH,
};

/**
 * Thinking levels came with Gemini 3; Gemini 2.5 models take a token budget instead and refuse a
 * level, so they are offered no Depth (they still share their thoughts).
 */
export function hasThinkingLevels(model: string): boolean {
  const major = /^gemini-(\d+)/.exec(model)?.[1];
  return major !== undefined && Number(major) >= 3;
}

/** Thought summaries always: the page shows them as the model's reasoning while it works. */
const MEDIA_RESOLUTIONS = {
  low: MediaResolution.MEDIA_RESOLUTION_LOW,
  medium: MediaResolution.MEDIA_RESOLUTION_MEDIUM,
  high: MediaResolution.MEDIA_RESOLUTION_HIGH,
} as const;

function thinkingConfig(depth: ThinkingDepth | undefined): ThinkingConfig {
  return { includeThoughts: true, ...(depth ? { thinkingLevel: THINKING_LEVELS[depth] } : {}) };
}

function readChunk(chunk: GenerateContentResponse): ChunkReading {
  const candidate = chunk.candidates?.[0];
  const thoughts: string[] = [];
  const texts: string[] = [];
  // Thought summaries come as parts marked `thought: true`, apart from the answer's text.
  for (const part of candidate?.content?.parts ?? []) {
    if (part.text) (part.thought ? thoughts : texts).push(part.text);
  }
  const metadata = chunk.usageMetadata;
  return {
    thoughts,
    texts,
    finishReason: candidate?.finishReason,
    blockReason: chunk.promptFeedback?.blockReason,
    usage: metadata && {
      inputTokens: metadata.promptTokenCount,
      outputTokens: metadata.candidatesTokenCount,
      totalTokens: metadata.totalTokenCount,
    },
  };
}

function classifyFinish(reason: string): FinishClass {
  if (reason === GeminiFinishReason.STOP) return "stop";
  if (reason === GeminiFinishReason.MAX_TOKENS) return "length";
  return BLOCKING_FINISH_REASONS.has(reason) ? "blocked" : "other";
}

interface GoogleErrorBody {
  error?: {
    message?: string;
    status?: string;
    details?: Array<{ "@type"?: string; reason?: string; retryDelay?: string }>;
  };
}

function mapGeminiError(error: unknown, model: string, endpoint: string): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ApiError) {
    const body = parseErrorBody(error.message);
    const details = body.error?.details ?? [];
    const retryDelay = details.find((detail) => detail.retryDelay)?.retryDelay;
    return upstreamHttpError(
      {
        provider: PROVIDER_NAME,
        status: error.status,
        detail: body.error?.message,
        model,
        endpoint,
        retryAfterSeconds: retryDelay ? Number.parseFloat(retryDelay) : undefined,
        badCredentials: details.some((detail) => detail.reason === "API_KEY_INVALID"),
      },
      error,
    );
  }
  if (isNetworkFailure(error)) return unreachableError(PROVIDER_NAME, endpoint, error);
  return new AppError("provider_error", `${PROVIDER_NAME} sent a response this server could not read.`, { cause: error });
}

/**
 * The SDK puts the server's JSON error body, serialised, in the message; an error sent inside the
 * stream comes as `got status: UNAVAILABLE. {json}`.
 */
function parseErrorBody(message: string): GoogleErrorBody {
  try {
    const parsed: unknown = JSON.parse(message.replace(/^got status: [^.]*\. /, ""));
    return typeof parsed === "object" && parsed !== null ? (parsed as GoogleErrorBody) : {};
  } catch {
    return { error: { message } };
  }
}
