import "server-only";
import type { ImageAnalysis, AnalysisBudget } from "@/lib/offline/analyze-image";

/** What the server sends the analysis thread. */
export type AnalysisThreadRequest =
  | {
      type: "analyze";
      id: number;
      /** The prepared image's encoded bytes (PNG or JPEG). */
      image: Uint8Array;
      budget?: AnalysisBudget;
    }
  /** Nobody waits for this analysis any more: it stops at its next stage. */
  | { type: "cancel"; id: number };

/** What the analysis thread answers, one reply per analysis. */
export type AnalysisThreadReply =
  /** `bytes`: the analysis's size as JSON, measured here so that the server's cache can be bounded. */
  | { id: number; analysis: ImageAnalysis; bytes: number }
  | { id: number; cancelled: true }
  | { id: number; error: string };
