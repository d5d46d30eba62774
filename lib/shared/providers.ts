import type { ThinkingDepth } from "@/lib/shared/thinking";

/** What the page and the server both know about providers and the answers they give. */

export const PROVIDER_IDS = ["gemini", "openai", "offline"] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** What the page may know about a provider: never a key or a URL with credentials. */
export interface ProviderSummary {
  provider: ProviderId;
  model: string;
  label: string;
  /** The thinking depths a request may ask for; empty hides the page's Depth control. */
  depths: readonly ThinkingDepth[];
  /** The depth the server uses when a request names none; undefined is the model's own default. */
  defaultDepth?: ThinkingDepth;
}

export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

/**
 * Why an answer ended, in the same words whichever provider wrote it. "incomplete": the stream
 * ended without the model saying it had finished, so the answer may be cut off anywhere.
 */
export const FINISH_REASONS = ["stop", "length", "other", "incomplete"] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

/** An earlier question about the same image and the answer it got (possibly cut short). */
export interface ConversationTurn {
  task: string;
  answer: string;
}
