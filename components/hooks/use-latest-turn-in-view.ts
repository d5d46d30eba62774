"use client";

import { useEffect, type RefObject } from "react";
import { isRunning } from "@/lib/client/answer-state";
import type { Turn } from "@/lib/client/conversation";

/** The id of a turn's element on the page, for scrolling to it. */
export function turnElementId(turnId: number): string {
  return `turn-${turnId}`;
}

/**
 * Keeps the latest turn where the person works: a new question scrolls into view (on a phone the
 * answer is below the form), and when an answer ends focus lands on the follow-up box if it was
 * left nowhere (the Stop button it was on is gone), so the next question is one keystroke away.
 */
export function useLatestTurnInView(lastTurn: Turn | undefined, followUpInput: RefObject<HTMLTextAreaElement | null>) {
  const lastTurnRunning = lastTurn ? isRunning(lastTurn.answer) : false;
  useEffect(() => {
    if (!lastTurnRunning && (document.activeElement === document.body || document.activeElement === null)) {
      followUpInput.current?.focus();
    }
  }, [lastTurnRunning, followUpInput]);

  const lastTurnId = lastTurn?.id;
  useEffect(() => {
    if (lastTurnId === undefined) return;
    const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    document.getElementById(turnElementId(lastTurnId))?.scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "nearest" });
  }, [lastTurnId]);
}
