import { initialAnswer, isRunning, reduceAnswer, storedAnswer, type AnswerAction, type AnswerState } from "@/lib/client/answer-state";
import type { MetaEvent } from "@/lib/shared/analyze-contract";
import { MAX_TITLE_CHARS, type Conversation as StoredConversation, type StoredImage } from "@/lib/shared/history-contract";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS } from "@/lib/shared/limits";
import type { ConversationTurn } from "@/lib/shared/providers";

export interface Turn {
  id: number;
  /** The server's id for the saved turn (its answer's `meta.turnId`): what Retry replaces. */
  storedId: string | null;
  task: string;
  answer: AnswerState;
}

/** The conversation as the server saved it, once it has. */
export interface SavedConversation {
  id: string;
  title: string;
  /** Whether a share link to it is live. */
  shared: boolean;
  /** The prepared image the model saw: shown when the picked file is not here (a reload, a link). */
  image: StoredImage | null;
}

/** A saved conversation being opened from its address, or why it could not be. */
export type Opening =
  | { id: string; state: "loading" }
  | { id: string; state: "missing" }
  | { id: string; state: "failed"; message: string };

/** Questions about one image and their answers, as the page shows them. */
export interface Conversation {
  /** The file every turn is about, kept to upload again if the server has let its copy go. */
  image: File | null;
  /** The server's id for its prepared copy of the image, from the first answer's `meta`. */
  imageId: string | null;
  /** Set once the server has saved the conversation: follow-ups then name it instead of the image. */
  saved: SavedConversation | null;
  opening: Opening | null;
  turns: Turn[];
  nextTurnId: number;
  /**
   * Counts the times the conversation was replaced by another (a new one, an opened one): the
   * first question's form starts afresh with each.
   */
  session: number;
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
  | { type: "answer"; turnId: number; action: AnswerAction }
  /** An empty page, for a new conversation. */
  | { type: "reset" }
  /** A saved conversation is being read from the server. */
  | { type: "open"; conversationId: string }
  | { type: "opened"; conversation: StoredConversation }
  /** `missing`: the server does not know the id (never existed, deleted, someone else's). */
  | { type: "open-failed"; conversationId: string; missing: boolean; message: string }
  /** The saved conversation renamed, shared or no longer shared. */
  | { type: "saved-changed"; conversationId: string; title?: string; shared?: boolean };

export const emptyConversation: Conversation = { image: null, imageId: null, saved: null, opening: null, turns: [], nextTurnId: 1, session: 0 };

/** An empty conversation after `state`: turn ids are never reused, so a late event finds no turn. */
function afresh(state: Conversation, opening: Opening | null = null): Conversation {
  return { ...emptyConversation, nextTurnId: state.nextTurnId, session: state.session + 1, opening };
}

export function reduceConversation(state: Conversation, action: ConversationAction): Conversation {
  switch (action.type) {
    case "begin":
      return appendTurn({ ...emptyConversation, image: action.image, nextTurnId: state.nextTurnId, session: state.session }, action.task, action.startedAt);
    case "ask":
      return appendTurn(state, action.task, action.startedAt);
    case "retry":
      return updateTurn(state, action.turnId, () => startAnswer(state, action.startedAt));
    case "discard": {
      const turns = state.turns.filter((turn) => turn.id !== action.turnId);
      return turns.length ? { ...state, turns } : { ...emptyConversation, nextTurnId: state.nextTurnId, session: state.session };
    }
    case "answer": {
      // A late event of a conversation that was replaced has no turn here; its meta names the
      // earlier image (and conversation), which a follow-up about this one must not send.
      if (!state.turns.some((turn) => turn.id === action.turnId)) return state;
      const next = updateTurn(state, action.turnId, (answer) => reduceAnswer(answer, action.action));
      return "event" in action.action && action.action.event === "meta" ? takeMeta(next, action.turnId, action.action.data) : next;
    }
    case "reset":
      return afresh(state);
    case "open":
      return afresh(state, { id: action.conversationId, state: "loading" });
    case "opened":
      // Only the conversation being opened: an answer to an earlier request comes too late.
      return state.opening?.id === action.conversation.id ? openedConversation(state, action.conversation) : state;
    case "open-failed":
      if (state.opening?.id !== action.conversationId) return state;
      return {
        ...state,
        opening: action.missing ? { id: action.conversationId, state: "missing" } : { id: action.conversationId, state: "failed", message: action.message },
      };
    case "saved-changed": {
      if (state.saved?.id !== action.conversationId) return state;
      const { title = state.saved.title, shared = state.saved.shared } = action;
      return { ...state, saved: { ...state.saved, title, shared } };
    }
  }
}

/**
 * What an answer's `meta` tells the conversation: the kept image's id, and once the server saves
 * it, the conversation's id and the turn's.
 */
function takeMeta(state: Conversation, turnId: number, meta: MetaEvent): Conversation {
  let next = meta.imageId ? { ...state, imageId: meta.imageId } : state;
  if (meta.conversationId && next.saved?.id !== meta.conversationId) {
    const firstTask = next.turns[0]?.task ?? "";
    next = { ...next, saved: { id: meta.conversationId, title: provisionalTitle(firstTask), shared: false, image: meta.image } };
  }
  if (meta.turnId) {
    const storedId = meta.turnId;
    next = { ...next, turns: next.turns.map((turn) => (turn.id === turnId ? { ...turn, storedId } : turn)) };
  }
  return next;
}

/** A saved conversation as read from the server, its turns with the answers as they were left. */
function openedConversation(state: Conversation, stored: StoredConversation): Conversation {
  const turns = stored.turns.map((turn, index) => ({
    id: state.nextTurnId + index,
    storedId: turn.id,
    task: turn.task,
    answer: storedAnswer(turn, stored.image),
  }));
  return {
    ...state,
    opening: null,
    saved: { id: stored.id, title: stored.title, shared: stored.shared, image: stored.image },
    turns,
    nextTurnId: state.nextTurnId + turns.length,
  };
}

/**
 * The title the server gives a new conversation (its first task on one line, shortened), shown
 * until the history list brings the saved one.
 */
export function provisionalTitle(task: string): string {
  const line = task.replace(/\s+/g, " ").trim();
  return line.length > MAX_TITLE_CHARS ? `${line.slice(0, MAX_TITLE_CHARS - 1).trimEnd()}…` : line;
}

/** A new answer, uploading the image unless the server keeps it (or has it saved). */
function startAnswer(state: Conversation, startedAt: number): AnswerState {
  return reduceAnswer(initialAnswer, { type: "start", startedAt, sendsImage: state.saved === null && state.imageId === null });
}

function appendTurn(state: Conversation, task: string, startedAt: number): Conversation {
  const answer = startAnswer(state, startedAt);
  return { ...state, turns: [...state.turns, { id: state.nextTurnId, storedId: null, task, answer }], nextTurnId: state.nextTurnId + 1 };
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

/** What a turn's question is about: the saved conversation, or the image and the turns before. */
export type QuestionSubject =
  | { conversationId: string; replaceTurnId?: string }
  | { image: File; imageId?: string; history: ConversationTurn[] };

/**
 * The subject of a question for `turnId`, as the conversation stands: a saved conversation is
 * named (the server reads its image and turns; a retried turn is replaced), anything else sends
 * the kept image's id (or the file) and the earlier turns. Null when there is nothing to ask about.
 */
export function questionSubject(conversation: Conversation, turnId: number, { retry = false } = {}): QuestionSubject | null {
  if (conversation.saved) {
    const storedId = retry ? conversation.turns.find((turn) => turn.id === turnId)?.storedId : null;
    return storedId ? { conversationId: conversation.saved.id, replaceTurnId: storedId } : { conversationId: conversation.saved.id };
  }
  if (!conversation.image) return null;
  return { image: conversation.image, imageId: conversation.imageId ?? undefined, history: historyBefore(conversation, turnId) };
}
