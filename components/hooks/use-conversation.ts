"use client";

import { useCallback, useEffect, useReducer, useRef, type Dispatch } from "react";
import type { ThinkingDepth } from "@/lib/shared/thinking";
import { STORED_ID_PATTERN } from "@/lib/shared/history-contract";
import { emptyConversation, isBusy, questionSubject, reduceConversation, type Conversation, type ConversationAction } from "@/lib/client/conversation";
import { ApiRequestError } from "@/lib/client/api-request";
import { getConversation } from "@/lib/client/history-api";
import { useAnswerRequests } from "@/components/hooks/use-answer-requests";
import { useStopOnEscape } from "@/components/hooks/use-stop-on-escape";

/** What a question is sent with, as the form stands when it is asked. */
export interface AskOptions {
  provider: string | undefined;
  depth: ThinkingDepth | undefined;
}

/** A change to the saved conversation made elsewhere on the page (the history list, Share). */
export interface SavedChange {
  title?: string;
  shared?: boolean;
}

export interface ConversationControls {
  conversation: Conversation;
  busy: boolean;
  /**
   * A new conversation about `image`. A refusal before any answer (a bad image, say) is returned
   * for the form to show, and the conversation is left empty.
   */
  begin(image: File, task: string, options: AskOptions): Promise<string | null>;
  /** A follow-up about the conversation's image. */
  ask(task: string, options: AskOptions): void;
  /** The turn's answer again, with the same earlier turns. */
  retry(turnId: number, options: AskOptions): void;
  stop(): void;
  /** An empty page for a new conversation; an answer under way is stopped (the server keeps what it has). */
  reset(): void;
  /** Shows the saved conversation `conversationId`, read from the server. */
  open(conversationId: string): void;
  noteSavedChange(conversationId: string, change: SavedChange): void;
}

/** The page's questions and answers about one image, and the requests behind them. */
export function useConversation(): ConversationControls {
  const [conversation, dispatch] = useReducer(reduceConversation, emptyConversation);
  // Questions read the conversation as it is now: its kept image id arrives mid-stream.
  const latest = useRef(conversation);
  useEffect(() => {
    latest.current = conversation;
  }, [conversation]);
  const { run, stop, stopAll } = useAnswerRequests(dispatch);
  const busy = isBusy(conversation);

  const begin = (image: File, task: string, options: AskOptions) => {
    const turnId = latest.current.nextTurnId;
    dispatch({ type: "begin", image, task, startedAt: Date.now() });
    return run("begin", turnId, { image, prompt: task, history: [], ...options });
  };

  const ask = (task: string, options: AskOptions) => {
    const turnId = latest.current.nextTurnId;
    const subject = questionSubject(latest.current, turnId);
    if (!subject) return;
    dispatch({ type: "ask", task, startedAt: Date.now() });
    void run("follow-up", turnId, { ...subject, prompt: task, ...options });
  };

  const retry = (turnId: number, options: AskOptions) => {
    const turn = latest.current.turns.find((each) => each.id === turnId);
    const subject = questionSubject(latest.current, turnId, { retry: true });
    if (!turn || !subject) return;
    dispatch({ type: "retry", turnId, startedAt: Date.now() });
    void run("retry", turnId, { ...subject, prompt: turn.task, ...options });
  };

  const reset = useCallback(() => {
    stopAll();
    dispatch({ type: "reset" });
  }, [stopAll]);

  const open = useOpenConversation(dispatch, stopAll);

  const noteSavedChange = useCallback((conversationId: string, change: SavedChange) => dispatch({ type: "saved-changed", conversationId, ...change }), []);

  useStopOnEscape(busy, stop);

  return { conversation, busy, begin, ask, retry, stop, reset, open, noteSavedChange };
}

/** Reads a saved conversation from the server into the page; a newer request replaces an older one. */
function useOpenConversation(dispatch: Dispatch<ConversationAction>, stopAll: () => void) {
  const reading = useRef<AbortController | null>(null);
  return useCallback(
    (conversationId: string) => {
      stopAll();
      reading.current?.abort();
      dispatch({ type: "open", conversationId });
      if (!STORED_ID_PATTERN.test(conversationId)) {
        // Not an id the server ever gives out: nothing to ask it.
        dispatch({ type: "open-failed", conversationId, missing: true, message: "" });
        return;
      }
      const controller = new AbortController();
      reading.current = controller;
      getConversation(conversationId, controller.signal).then(
        (stored) => dispatch({ type: "opened", conversation: stored }),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          const missing = error instanceof ApiRequestError && error.code === "not_found";
          const message = error instanceof ApiRequestError ? error.message : "The conversation could not be read.";
          dispatch({ type: "open-failed", conversationId, missing, message });
        },
      );
    },
    [dispatch, stopAll],
  );
}
