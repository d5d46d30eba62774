"use client";

import { useEffect, useState } from "react";
import { isRunning, type AnswerState } from "@/lib/client/answer-state";

/** How often the running time shown next to the status moves on. */
const TICK_MS = 100;

/** Seconds since the request started, ticking while it runs and frozen once it ends. */
export function useElapsedSeconds(answer: AnswerState): number | null {
  const [now, setNow] = useState(() => Date.now());
  const running = isRunning(answer);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => {
      clearInterval(timer);
      setNow(Date.now());
    };
  }, [running]);
  if (answer.startedAt === null) return null;
  return Math.max(0, (now - answer.startedAt) / 1000);
}
