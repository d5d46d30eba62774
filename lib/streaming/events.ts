import type { ErrorCode } from "@/lib/errors";
import type { ProviderId } from "@/lib/config";
import type { FinishReason, TokenUsage } from "@/lib/providers/types";

/**
 * The server-sent events of POST /api/analyze, shared by the server that writes them and the
 * page that reads them.
 */
export interface MetaEvent {
  provider: ProviderId;
  model: string;
  /** The prepared image actually sent to the model, not the upload. */
  image: { width: number; height: number; bytes: number; mimeType: string };
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
  | { event: "delta"; data: DeltaEvent }
  | { event: "done"; data: DoneEvent }
  | { event: "error"; data: ErrorEvent };

export type AnalyzeEventName = AnalyzeEvent["event"];
