import type { ErrorCode } from "@/lib/shared/errors";
import type { ProviderId, FinishReason, TokenUsage } from "@/lib/shared/providers";

/**
 * The server-sent events of POST /api/analyze, shared by the server that writes them and the
 * page that reads them.
 */
export interface MetaEvent {
  provider: ProviderId;
  model: string;
  /** The prepared image actually sent to the model, not the upload. */
  image: { width: number; height: number; bytes: number; mimeType: string };
  /**
   * Names the prepared image the server keeps for a while: a follow-up question sends this id
   * instead of the file. Absent when the server keeps no images.
   */
  imageId?: string;
}

/** A piece of the model's reasoning, shown apart from the answer. */
export interface ThoughtEvent {
  text: string;
}

export interface DeltaEvent {
  text: string;
}

export interface DoneEvent {
  finishReason: FinishReason;
  usage?: TokenUsage;
}

export interface ErrorEvent {
  code: ErrorCode;
  message: string;
}

export type AnalyzeEvent =
  | { event: "meta"; data: MetaEvent }
  | { event: "thought"; data: ThoughtEvent }
  | { event: "delta"; data: DeltaEvent }
  | { event: "done"; data: DoneEvent }
  | { event: "error"; data: ErrorEvent };

export type AnalyzeEventName = AnalyzeEvent["event"];
