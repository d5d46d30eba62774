import { initialAnswer, isRunning, reduceAnswer, type AnswerAction, type AnswerState } from "@/lib/client/answer-state";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS } from "@/lib/shared/limits";
import type { ConversationTurn } from "@/lib/shared/providers";

export interface Turn {
  id: number;
  task: string;
  answer: AnswerState;
}

/** Questions about one image and their answers, as the page shows them. */
export interface Conversation {
  /** The file every turn is about, kept to upload again if the server has let its copy go. */
  image: File | null;
  /** The server's id for its prepared copy of the image, from the first answer's `meta`. */
  imageId: string | null;
  turns: Turn[];
  nextTurnId: number;
}

export type ConversationAction =
  /** A new conversation about an image, replacing the one before. */
  | { type: "begin"; image: File; task: string; startedAt: number }
  /** A follow-up question about the same image. */
  | { type: "ask"; task: string; startedAt: number }
  /** The turn's answer again, from the start. */
  | { type: "retry"; turnId: number; startedAt: number }
  /** A turn the server refused outright, whose reason the form shows instead. */
  | { type: "discard"; turnId: number }
  | { type: "answer"; turnId: number; action: AnswerAction };

export const emptyConversation: Conversation = { image: null, imageId: null, turns: [], nextTurnId: 1 };

export function reduceConversation(state: Conversation, action: ConversationAction): Conversation {
  switch (action.type) {
    case "begin":
      return appendTurn({ ...emptyConversation, image: action.image, nextTurnId: state.nextTurnId }, action.task, action.startedAt);
    case "ask":
      return appendTurn(state, action.task, action.startedAt);
    case "retry":
      return updateTurn(state, action.turnId, () => startAnswer(state, action.startedAt));
    case "discard": {
      const turns = state.turns.filter((turn) => turn.id !== action.turnId);
      return turns.length ? { ...state, turns } : { ...emptyConversation, nextTurnId: state.nextTurnId };
    }
    case "answer": {
      // A late event of a conversation that was replaced has no turn here; its meta names the
      // earlier image, which a follow-up about this one must not send.
      if (!state.turns.some((turn) => turn.id === action.turnId)) return state;
      const next = updateTurn(state, action.turnId, (answer) => reduceAnswer(answer, action.action));
      const kept = "event" in action.action && action.action.event === "meta" ? action.action.data.imageId : undefined;
      return kept ? { ...next, imageId: kept } : next;
    }
  }
}

/** A new answer, uploading the image unless the server keeps it. */
function startAnswer(state: Conversation, startedAt: number): AnswerState {
  return reduceAnswer(initialAnswer, { type: "start", startedAt, sendsImage: state.imageId === null });
}

function appendTurn(state: Conversation, task: string, startedAt: number): Conversation {
  const answer = startAnswer(state, startedAt);
  return { ...state, turns: [...state.turns, { id: state.nextTurnId, task, answer }], nextTurnId: state.nextTurnId + 1 };
}

function updateTurn(state: Conversation, turnId: number, update: (answer: AnswerState) => AnswerState): Conversation {
  return { ...state, turns: state.turns.map((turn) => (turn.id === turnId ? { ...turn, answer: update(turn.answer) } : turn)) };
}

export function isBusy(conversation: Conversation): boolean {
  return conversation.turns.some((turn) => isRunning(turn.answer));
}

/**
 * The earlier turns sent with a question: those before `turnId` that got any answer (a stopped
 * one counts, it is what the person read), the newest kept when they exceed the server's limits.
 */
export function historyBefore(conversation: Conversation, turnId: number): ConversationTurn[] {
  const earlier = conversation.turns
    .filter((turn) => turn.id < turnId && turn.answer.markdown.trim())
    .map((turn) => ({ task: turn.task, answer: turn.answer.markdown }));
  const kept: ConversationTurn[] = [];
  let chars = 0;
  for (const turn of earlier.reverse()) {
    chars += turn.task.length + turn.answer.length;
    if (chars > MAX_HISTORY_CHARS || kept.length === MAX_HISTORY_TURNS) break;
    kept.unshift(turn);
  }
  return kept;
}
