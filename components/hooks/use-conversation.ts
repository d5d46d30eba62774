"use client";

import { useCallback, useEffect, useReducer, useRef } from "react";
import type { ThinkingDepth } from "@/lib/shared/thinking";
import type { AnswerAction } from "@/lib/client/answer-state";
import { emptyConversation, historyBefore, isBusy, reduceConversation, type Conversation } from "@/lib/client/conversation";
import { AnalysisRequestError, requestAnalysis, type AnalysisRequest } from "@/lib/client/request-analysis";
import { useStopOnEscape } from "@/components/hooks/use-stop-on-escape";

/** What a question is sent with, as the form stands when it is asked. */
export interface AskOptions {
  provider: string | undefined;
  depth: ThinkingDepth | undefined;
}

type TurnRequest = Pick<AnalysisRequest, "image" | "imageId" | "prompt"> & { history: NonNullable<AnalysisRequest["history"]> };

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
}

/** Why a request is made: only a refused first question empties the conversation. */
type RequestKind = "begin" | "follow-up" | "retry";

/** The page's questions and answers about one image, and the requests behind them. */
export function useConversation(): ConversationControls {
  const [conversation, dispatch] = useReducer(reduceConversation, emptyConversation);
  // Questions read the conversation as it is now: its kept image id arrives mid-stream.
  const latest = useRef(conversation);
  useEffect(() => {
    latest.current = conversation;
  }, [conversation]);
  const running = useRef<AbortController | null>(null);
  /**
   * The request that owns each turn's answer. A regenerated turn has a new owner at once, while
   * its old request may still be closing: what that one says no longer reaches the turn.
   */
  const owners = useRef(new Map<number, AbortController>());
  const busy = isBusy(conversation);

  const run = useCallback(async (kind: RequestKind, turnId: number, request: TurnRequest, options: AskOptions): Promise<string | null> => {
    const controller = new AbortController();
    running.current = controller;
    owners.current.set(turnId, controller);
    const update = (action: AnswerAction) => {
      if (owners.current.get(turnId) === controller) dispatch({ type: "answer", turnId, action });
    };
    try {
      const events = requestAnalysis({ ...request, provider: options.provider, depth: options.depth, signal: controller.signal });
      for await (const event of events) update(event);
      update({ type: "closed" });
      return null;
    } catch (error) {
      if (controller.signal.aborted) {
        update({ type: "stopped" });
        return null;
      }
      if (error instanceof AnalysisRequestError && kind === "begin") {
        // A first question refused before any answer: the reason belongs next to the form.
        dispatch({ type: "discard", turnId });
        return error.message;
      }
      const message = error instanceof AnalysisRequestError ? error.message : "The connection was lost while the answer was streaming.";
      update({ type: "failed", message });
      return null;
    } finally {
      if (running.current === controller) running.current = null;
      if (owners.current.get(turnId) === controller) owners.current.delete(turnId);
    }
  }, []);

  /** A turn's request as the conversation stands: the kept image, and the turns before it. */
  const requestFor = (turnId: number, task: string): TurnRequest | null => {
    const state = latest.current;
    if (!state.image) return null;
    return { image: state.image, imageId: state.imageId ?? undefined, prompt: task, history: historyBefore(state, turnId) };
  };

  const begin = (image: File, task: string, options: AskOptions) => {
    const turnId = latest.current.nextTurnId;
    dispatch({ type: "begin", image, task, startedAt: Date.now() });
    return run("begin", turnId, { image, prompt: task, history: [] }, options);
  };

  const ask = (task: string, options: AskOptions) => {
    const turnId = latest.current.nextTurnId;
    const request = requestFor(turnId, task);
    if (!request) return;
    dispatch({ type: "ask", task, startedAt: Date.now() });
    void run("follow-up", turnId, request, options);
  };

  const retry = (turnId: number, options: AskOptions) => {
    const turn = latest.current.turns.find((each) => each.id === turnId);
    const request = turn && requestFor(turnId, turn.task);
    if (!request) return;
    dispatch({ type: "retry", turnId, startedAt: Date.now() });
    void run("retry", turnId, request, options);
  };

  const stop = useCallback(() => running.current?.abort(), []);

  useStopOnEscape(busy, stop);

  return { conversation, busy, begin, ask, retry, stop };
}
