"use client";

import { useEffect, useId, useState } from "react";
import { MarkdownAnswer } from "@/components/markdown-answer";
import { ReasoningPanel } from "@/components/reasoning-panel";
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

const buttonClass =
  "rounded-md border border-border px-3 py-1.5 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring";

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
      {answer.error && (
        <p role="alert" className="rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
          {answer.error}
        </p>
      )}
      {!running && (
        <div className="flex flex-wrap gap-2">
          {answer.markdown && <AnswerActions markdown={answer.markdown} fileName={downloadName(imageName, position)} />}
          {onRetry && (
            <button type="button" onClick={onRetry} className={buttonClass}>
              {answer.phase === "done" ? "Regenerate" : "Retry"}
            </button>
          )}
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

const STATUS_TEXT: Record<AnswerState["phase"], string> = {
  idle: "",
  uploading: "Uploading the image…",
  preparing: "Preparing the image…",
  thinking: "Thinking…",
  streaming: "Writing…",
  done: "Done",
  stopped: "Stopped",
  failed: "Stopped by an error",
};

function statusText(answer: AnswerState): string {
  // A follow-up names the image the server kept: nothing to prepare, only the model to reach.
  if (answer.phase === "preparing" && !answer.sentImage) return "Sending the question…";
  return STATUS_TEXT[answer.phase];
}

function AnswerStatus({ answer, onStop }: { answer: AnswerState; onStop(): void }) {
  const elapsed = useElapsedSeconds(answer);
  const running = isRunning(answer);
  return (
    <div className="flex flex-col gap-2">
      <div className="flex min-h-8 flex-wrap items-center gap-x-2 gap-y-1 text-sm text-muted-foreground">
        {running && <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-primary" />}
        {/* Only the phase is announced: the streaming text itself would drown a screen reader. */}
        <span>
          <span role="status" data-testid="answer-status">
            {statusText(answer)}
          </span>
          {/* Visual progress only: read aloud ten times a second it would be noise. */}
          {elapsed !== null && (
            <span aria-hidden="true" className="tabular-nums" data-testid="elapsed">
              {` · ${elapsed.toFixed(1)} s`}
            </span>
          )}
        </span>
        {running && (
          <button type="button" onClick={onStop} className={`${buttonClass} ml-auto`} aria-keyshortcuts="Escape">
            Stop
          </button>
        )}
      </div>
      {answer.phase === "uploading" && answer.upload && <UploadProgress {...answer.upload} />}
    </div>
  );
}

function UploadProgress({ loaded, total }: { loaded: number; total: number }) {
  const percent = total ? Math.floor((loaded / total) * 100) : 0;
  return (
    <div className="flex flex-col gap-1" data-testid="upload-progress">
      <progress value={loaded} max={total} aria-label="Upload progress" className="h-2 w-full appearance-none overflow-hidden rounded-full [&::-moz-progress-bar]:bg-primary [&::-webkit-progress-bar]:bg-muted [&::-webkit-progress-value]:bg-primary" />
      <span className="text-xs text-muted-foreground tabular-nums">
        {formatBytes(loaded)} of {formatBytes(total)} · {percent} %
      </span>
    </div>
  );
}

/** Seconds since the request started, ticking while it runs and frozen once it ends. */
function useElapsedSeconds(answer: AnswerState): number | null {
  const [now, setNow] = useState(() => Date.now());
  const running = isRunning(answer);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => {
      clearInterval(timer);
      setNow(Date.now());
    };
  }, [running]);
  if (answer.startedAt === null) return null;
  return Math.max(0, (now - answer.startedAt) / 1000);
}

function AnswerActions({ markdown, fileName }: { markdown: string; fileName: string }) {
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      // Browsers offer the clipboard only on https and localhost; intranet tools often run on http.
      await navigator.clipboard.writeText(markdown);
      setCopyState("copied");
    } catch {
      setCopyState("failed");
    }
    setTimeout(() => setCopyState("idle"), 2500);
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([markdown], { type: "text/markdown;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <>
      <button type="button" onClick={() => void copy()} className={buttonClass}>
        {copyState === "copied" ? "Copied" : copyState === "failed" ? "Copy blocked: use Download" : "Copy markdown"}
      </button>
      <button type="button" onClick={download} className={buttonClass}>
        Download .md
      </button>
    </>
  );
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
