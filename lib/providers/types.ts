import type { ProviderId } from "@/lib/config";
import type { PreparedImage } from "@/lib/image/prepare-image";

export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

/** Why an answer ended, in the same words whichever provider wrote it. */
export type FinishReason = "stop" | "length" | "other";

export type ProviderEvent =
  | { type: "delta"; text: string }
  | { type: "done"; finishReason: FinishReason; usage?: TokenUsage };

export interface AnalysisInput {
  image: PreparedImage;
  prompt: string;
  /** Aborted when the person presses Stop or closes the tab: the model call must end with it. */
  signal: AbortSignal;
}

/**
 * What every provider is: a model that reads one image and a task and streams markdown back.
 * Failures are thrown as AppError, before or during the stream; an aborted signal ends the stream
 * quietly.
 */
export interface Provider {
  id: ProviderId;
  model: string;
  /** How the page names this provider to a person, e.g. "Gemini · gemini-3.6-flash". */
  label: string;
  analyze(input: AnalysisInput): AsyncIterable<ProviderEvent>;
}
