import type { DoneEvent, MetaEvent } from "@/lib/shared/analyze-contract";
import type { RequestEvent } from "@/lib/client/request-analysis";

/**
 * Where one answer is: the file going up, the server preparing it (or contacting the model), the
 * model thinking, its words arriving, and how it ended.
 */
export type AnswerPhase = "idle" | "uploading" | "preparing" | "thinking" | "streaming" | "done" | "stopped" | "failed";

export interface AnswerState {
  phase: AnswerPhase;
  /** Bytes of the request sent so far, while uploading. */
  upload: { loaded: number; total: number } | null;
  /** Whether the image itself went up with this request (a follow-up usually names a kept one). */
  sentImage: boolean;
  /** The model's reasoning, as far as it shares it. */
  thoughts: string;
  markdown: string;
  meta: MetaEvent | null;
  finish: DoneEvent | null;
  /** Shown next to the answer; the text already streamed stays. */
  error: string | null;
  startedAt: number | null;
}

export type AnswerAction =
  | RequestEvent
  /** `sendsImage`: the file goes with the request, rather than the id of the server's copy. */
  | { type: "start"; startedAt: number; sendsImage: boolean }
  | { type: "stopped" }
  | { type: "failed"; message: string }
  | { type: "closed" };

export const initialAnswer: AnswerState = {
  phase: "idle",
  upload: null,
  sentImage: false,
  thoughts: "",
  markdown: "",
  meta: null,
  finish: null,
  error: null,
  startedAt: null,
};

const RUNNING_PHASES: ReadonlySet<AnswerPhase> = new Set(["uploading", "preparing", "thinking", "streaming"]);

export function isRunning(answer: AnswerState): boolean {
  return RUNNING_PHASES.has(answer.phase);
}

/** One answer's life, keeping whatever arrived whichever way it ends. */
export function reduceAnswer(state: AnswerState, action: AnswerAction): AnswerState {
  if ("event" in action) {
    switch (action.event) {
      case "upload":
        return { ...state, phase: "uploading", upload: action.data, sentImage: true };
      case "sent":
        return { ...state, phase: "preparing", upload: null, sentImage: action.data.withImage };
      case "meta":
        return { ...state, phase: "thinking", meta: action.data };
      case "thought":
        return { ...state, thoughts: state.thoughts + action.data.text };
      case "delta":
        return { ...state, phase: "streaming", markdown: state.markdown + action.data.text };
      case "done":
        return { ...state, phase: "done", finish: action.data };
      case "error":
        return { ...state, phase: "failed", error: action.data.message };
      case "unsaved":
        // The history stopped saving this answer; the answer itself goes on streaming unchanged.
        return state;
    }
  }
  switch (action.type) {
    case "start":
      return {
        ...initialAnswer,
        phase: action.sendsImage ? "uploading" : "preparing",
        sentImage: action.sendsImage,
        startedAt: action.startedAt,
      };
    case "stopped":
      return isRunning(state) ? { ...state, phase: "stopped", upload: null } : state;
    case "failed":
      return { ...state, phase: "failed", upload: null, error: action.message };
    case "closed":
      // The stream ended without `done` or `error`: the connection dropped mid-answer.
      return isRunning(state)
        ? { ...state, phase: "failed", error: "The connection closed before the answer was finished." }
        : state;
  }
}
