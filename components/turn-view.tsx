"use client";

import { useId } from "react";
import { AnswerActions } from "@/components/answer-actions";
import { AnswerFooter } from "@/components/answer-footer";
import { AnswerNotes } from "@/components/answer-notes";
import { AnswerStatus } from "@/components/answer-status";
import { MarkdownAnswer } from "@/components/markdown-answer";
import { ReasoningPanel } from "@/components/reasoning-panel";
import { Button } from "@/components/ui/button";
import { isRunning } from "@/lib/client/answer-state";
import type { Turn } from "@/lib/client/conversation";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface TurnViewProps {
  turn: Turn;
  /** 1 for the first question; names the downloaded file of later ones. */
  position: number;
  imageName: string;
  providers: ProviderSummary[];
  /** Offered on the latest turn once it has ended. */
  onRetry?: () => void;
  onStop(): void;
}

/** One question and its answer: progress while it runs, then the answer and what to do with it. */
export function TurnView({ turn, position, imageName, providers, onRetry, onStop }: TurnViewProps) {
  const { answer } = turn;
  const running = isRunning(answer);
  const questionId = useId();
  return (
    <article
      aria-labelledby={questionId}
      data-testid="turn"
      data-phase={answer.phase}
      className="flex flex-col gap-3 rounded-lg border border-border bg-card p-5 shadow-sm sm:p-6"
    >
      <h2 id={questionId} className="self-end rounded-lg bg-muted px-3 py-2 text-sm font-medium whitespace-pre-wrap">
        <span className="sr-only">Question {position}: </span>
        {turn.task}
      </h2>
      <AnswerStatus answer={answer} onStop={onStop} />
      {answer.thoughts && <ReasoningPanel thoughts={answer.thoughts} thinking={answer.phase === "thinking"} answering={Boolean(answer.markdown)} />}
      {answer.markdown && (
        <div data-testid="answer-text">
          <MarkdownAnswer markdown={answer.markdown} streaming={running} />
        </div>
      )}
      <AnswerNotes answer={answer} />
      {!running && (
        <div className="flex flex-wrap gap-2">
          {answer.markdown && <AnswerActions markdown={answer.markdown} fileName={downloadName(imageName, position)} />}
          {onRetry && <Button onClick={onRetry}>{answer.phase === "done" && answer.finish?.finishReason !== "incomplete" ? "Regenerate" : "Retry"}</Button>}
        </div>
      )}
      <AnswerFooter answer={answer} providers={providers} />
    </article>
  );
}

function downloadName(imageName: string, position: number): string {
  const base = imageName.replace(/\.[^.]+$/, "") || "image";
  return position === 1 ? `${base}-answer.md` : `${base}-answer-${position}.md`;
}
