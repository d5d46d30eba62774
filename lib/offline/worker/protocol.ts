import "server-only";
import type { ImageAnalysis } from "@/lib/offline/analyze-image";

/** Messages between the server and the analysis thread. */
export interface AnalysisRequest {
  id: number;
  /** The prepared image's encoded bytes (PNG or JPEG). */
  image: Uint8Array;
}

export type AnalysisReply = { id: number; analysis: ImageAnalysis } | { id: number; error: string };
