"use client";

import { useCallback, useRef, type Dispatch } from "react";
import type { AnswerAction } from "@/lib/client/answer-state";
import type { ConversationAction } from "@/lib/client/conversation";
import { AnalysisRequestError, requestAnalysis, type AnalysisRequest } from "@/lib/client/request-analysis";

/** What a question is sent with besides its subject: the form's provider and depth. */
export type TurnRequest = Omit<AnalysisRequest, "signal">;

/** Why a request is made: only a refused first question empties the conversation. */
export type RequestKind = "begin" | "follow-up" | "retry";

export interface AnswerRequests {
  /**
   * Sends a turn's question and feeds its answer to the turn. Resolves once it has ended, to the
   * reason a first question was refused before any answer (for the form to show), else null.
   */
  run(kind: RequestKind, turnId: number, request: TurnRequest): Promise<string | null>;
  /** Stops the answer under way (Stop, Esc). */
  stop(): void;
  /** Stops every request, for a page that now shows another conversation. */
  stopAll(): void;
}

/** The requests behind a conversation's answers, each owning the turn it answers. */
export function useAnswerRequests(dispatch: Dispatch<ConversationAction>): AnswerRequests {
  const running = useRef<AbortController | null>(null);
  /**
   * The request that owns each turn's answer. A regenerated turn has a new owner at once, while
   * its old request may still be closing: what that one says no longer reaches the turn.
   */
  const owners = useRef(new Map<number, AbortController>());

  const run = useCallback(
    async (kind: RequestKind, turnId: number, request: TurnRequest): Promise<string | null> => {
      const controller = new AbortController();
      running.current = controller;
      owners.current.set(turnId, controller);
      const update = (action: AnswerAction) => {
        if (owners.current.get(turnId) === controller) dispatch({ type: "answer", turnId, action });
      };
      try {
        for await (const event of requestAnalysis({ ...request, signal: controller.signal })) update(event);
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
    },
    [dispatch],
  );

  const stop = useCallback(() => running.current?.abort(), []);
  const stopAll = useCallback(() => {
    for (const controller of owners.current.values()) controller.abort();
  }, []);

  return { run, stop, stopAll };
}
