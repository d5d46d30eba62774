"use client";

import { useId } from "react";
import { AnswerActions } from "@/components/answer-actions";
import { AnswerStatus } from "@/components/answer-status";
import { MarkdownAnswer } from "@/components/markdown-answer";
import { ReasoningPanel } from "@/components/reasoning-panel";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { formatBytes } from "@/lib/shared/format";
import { isRunning, type AnswerState } from "@/lib/client/answer-state";
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
      {answer.phase === "stopped" && (
        <p className="text-sm text-muted-foreground italic" data-testid="stopped-note">
          {answer.markdown ? "Stopped before the answer was finished." : "Stopped before the model answered."}
        </p>
      )}
      {answer.phase === "done" && cutOffNote(answer) && <Alert data-testid="cut-off-note">{cutOffNote(answer)}</Alert>}
      {answer.error && <Alert>{answer.error}</Alert>}
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

/**
 * Said plainly next to an answer that is not whole: a truncated answer can read as complete, and
 * a person acting on half a design review is worse off than one who knows to ask again.
 */
function cutOffNote(answer: AnswerState): string | null {
  switch (answer.finish?.finishReason) {
    case "incomplete":
      return "The answer was cut off: the model's stream ended before the model said it had finished. What arrived is shown above; retry for the whole answer.";
    case "length":
      return "The answer was cut off at the model's length limit. What arrived is shown above.";
    default:
      return null;
  }
}

function downloadName(imageName: string, position: number): string {
  const base = imageName.replace(/\.[^.]+$/, "") || "image";
  return position === 1 ? `${base}-answer.md` : `${base}-answer-${position}.md`;
}

/** Which provider and model wrote this answer, from the stream's own `meta`. */
function AnswerFooter({ answer, providers }: { answer: AnswerState; providers: ProviderSummary[] }) {
  const { meta, finish } = answer;
  if (!meta) return null;
  const known = providers.find((each) => each.provider === meta.provider && each.model === meta.model);
  const running = isRunning(answer);
  const facts = [
    `${running ? "Answering with" : "Answered by"} ${known?.label ?? `${meta.provider} · ${meta.model}`}`,
    `image sent ${meta.image.width} × ${meta.image.height} px, ${formatBytes(meta.image.bytes)}`,
  ];
  if (finish?.usage?.totalTokens) facts.push(`${finish.usage.totalTokens.toLocaleString("en")} tokens`);
  if (finish?.finishReason === "length") facts.push("cut off at the model's length limit");
  return (
    <p className="border-t border-border pt-3 text-xs text-muted-foreground" data-testid="answer-footer">
      {facts.join(" · ")}
    </p>
  );
}
