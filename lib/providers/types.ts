import "server-only";
import type { ConversationTurn, FinishReason, ProviderId, TokenUsage } from "@/lib/shared/providers";
import type { ThinkingDepth } from "@/lib/shared/thinking";
import type { QueueSlot } from "@/lib/analysis/work-queue";
import type { PreparedImage } from "@/lib/image/prepare-image";

export type ProviderEvent =
  /** A piece of the model's reasoning, shown apart from the answer; only models that think send it. */
  | { type: "thought"; text: string }
  | { type: "delta"; text: string }
  | { type: "done"; finishReason: FinishReason; usage?: TokenUsage };

export interface AnalysisInput {
  image: PreparedImage;
  prompt: string;
  /** Earlier turns about this image, oldest first. The image goes to the model once, with the first. */
  history: ConversationTurn[];
  /** How long to think; providers whose `depths` are empty ignore it. */
  depth?: ThinkingDepth;
  /** Aborted when the person presses Stop or closes the tab: the model call must end with it. */
  signal: AbortSignal;
  /**
   * The place in the offline analysis queue reserved as the request arrived (handle-analyze.ts);
   * the offline provider runs in it or gives it back. Providers that run elsewhere ignore it.
   */
  analysisSlot?: QueueSlot;
}

/**
 * What every provider is: a model that reads one image and a conversation about it and streams
 * markdown back.
 *
 * `analyze` resolves once the model has accepted the request (its response has begun), so a
 * provider that cannot be reached, refuses the key or is over quota fails the HTTP request with
 * its own status; the events follow. Failures are AppErrors, before or during the stream; an
 * aborted signal ends the stream quietly.
 */
export interface Provider {
  id: ProviderId;
  model: string;
  /** How the page names this provider to a person, e.g. "Gemini · gemini-3.6-flash". */
  label: string;
  /** The thinking depths a request may ask for; empty when the provider has no such control. */
  depths: readonly ThinkingDepth[];
  /** The depth used when a request names none; undefined leaves it to the model. */
  defaultDepth?: ThinkingDepth;
  analyze(input: AnalysisInput): Promise<AsyncIterable<ProviderEvent>>;
}
