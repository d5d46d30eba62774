import type { AnalyzeEvent, DoneEvent, MetaEvent } from "@/lib/streaming/events";

export type AnswerPhase = "idle" | "sending" | "streaming" | "done" | "stopped" | "failed";

export interface AnswerState {
  phase: AnswerPhase;
  markdown: string;
  meta: MetaEvent | null;
  finish: DoneEvent | null;
  /** Shown next to the answer; the text already streamed stays. */
  error: string | null;
  startedAt: number | null;
}

export type AnswerAction =
  | AnalyzeEvent
  | { type: "start"; startedAt: number }
  | { type: "stopped" }
  /** The server refused the request before any answer; the form shows why. */
  | { type: "rejected" }
  | { type: "failed"; message: string }
  | { type: "closed" };

export const initialAnswer: AnswerState = {
  phase: "idle",
  markdown: "",
  meta: null,
  finish: null,
  error: null,
  startedAt: null,
};

/** One answer's life: sending, streaming, then done, stopped or failed, keeping what arrived. */
export function reduceAnswer(state: AnswerState, action: AnswerAction): AnswerState {
  if ("event" in action) {
    switch (action.event) {
      case "meta":
        return { ...state, phase: "streaming", meta: action.data };
      case "delta":
        return { ...state, phase: "streaming", markdown: state.markdown + action.data.text };
      case "done":
        return { ...state, phase: "done", finish: action.data };
      case "error":
        return { ...state, phase: "failed", error: action.data.message };
    }
  }
  switch (action.type) {
    case "start":
      return { ...initialAnswer, phase: "sending", startedAt: action.startedAt };
    case "stopped":
      return { ...state, phase: "stopped" };
    case "rejected":
      return initialAnswer;
    case "failed":
      return { ...state, phase: "failed", error: action.message };
    case "closed":
      // The stream ended without `done` or `error`: the connection dropped mid-answer.
      return state.phase === "streaming" || state.phase === "sending"
        ? { ...state, phase: "failed", error: "The connection closed before the answer was finished." }
        : state;
  }
}
