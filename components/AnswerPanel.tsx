"use client";

import { useEffect, useState } from "react";
import { MarkdownAnswer } from "@/components/MarkdownAnswer";
import { formatBytes } from "@/lib/format";
import type { ProviderSummary } from "@/lib/providers";
import type { AnswerState } from "@/lib/streaming/answer-state";

const STATUS_TEXT: Record<AnswerState["phase"], string> = {
  idle: "",
  sending: "Uploading and preparing the image…",
  streaming: "Writing…",
  done: "Done",
  stopped: "Stopped",
  failed: "Stopped by an error",
};

interface AnswerPanelProps {
  answer: AnswerState;
  fileName: string | null;
  providers: ProviderSummary[];
}

export function AnswerPanel({ answer, fileName, providers }: AnswerPanelProps) {
  const streaming = answer.phase === "sending" || answer.phase === "streaming";
  return (
    <section
      aria-label="Answer"
      aria-live="polite"
      aria-busy={streaming}
      className="min-h-64 rounded-lg border border-border bg-card p-5 shadow-sm sm:p-6"
    >
      {answer.phase === "idle" ? (
        <p className="text-muted-foreground">The answer will appear here as the model writes it.</p>
      ) : (
        <>
          <AnswerStatus answer={answer} />
          {answer.markdown && <MarkdownAnswer markdown={answer.markdown} streaming={streaming} />}
          {answer.error && (
            <p role="alert" className="mt-4 rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
              {answer.error}
            </p>
          )}
          {!streaming && answer.markdown && <AnswerActions markdown={answer.markdown} fileName={fileName} />}
          <AnswerFooter answer={answer} providers={providers} />
        </>
      )}
    </section>
  );
}

function AnswerStatus({ answer }: { answer: AnswerState }) {
  const elapsed = useElapsedSeconds(answer);
  return (
    <p className="mb-3 flex items-center gap-2 text-sm text-muted-foreground" data-testid="answer-status">
      {(answer.phase === "sending" || answer.phase === "streaming") && (
        <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-primary" />
      )}
      <span>{STATUS_TEXT[answer.phase]}</span>
      {/* Visual progress only: read aloud four times a second it would drown the answer. */}
      {elapsed !== null && (
        <span aria-hidden="true" className="tabular-nums">
          · {elapsed} s
        </span>
      )}
    </p>
  );
}

/** Seconds since the request started, ticking while it runs and frozen once it ends. */
function useElapsedSeconds(answer: AnswerState): number | null {
  const [now, setNow] = useState(() => Date.now());
  const running = answer.phase === "sending" || answer.phase === "streaming";
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => {
      clearInterval(timer);
      setNow(Date.now());
    };
  }, [running]);
  if (answer.startedAt === null) return null;
  return Math.max(0, Math.round((now - answer.startedAt) / 100) / 10);
}

function AnswerActions({ markdown, fileName }: { markdown: string; fileName: string | null }) {
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
    link.download = `${(fileName ?? "answer").replace(/\.[^.]+$/, "")}-answer.md`;
    link.click();
    URL.revokeObjectURL(url);
  };
  const buttonClass =
    "rounded-md border border-border px-3 py-1.5 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring";
  return (
    <div className="mt-5 flex gap-2">
      <button type="button" onClick={() => void copy()} className={buttonClass}>
        {copyState === "copied" ? "Copied" : copyState === "failed" ? "Copy blocked: use Download" : "Copy markdown"}
      </button>
      <button type="button" onClick={download} className={buttonClass}>
        Download .md
      </button>
    </div>
  );
}

/** Which provider and model wrote this answer, from the stream's own `meta`. */
function AnswerFooter({ answer, providers }: { answer: AnswerState; providers: ProviderSummary[] }) {
  const { meta, finish } = answer;
  if (!meta) return null;
  const known = providers.find((each) => each.provider === meta.provider && each.model === meta.model);
  const facts = [
    `Answered by ${known?.label ?? `${meta.provider} · ${meta.model}`}`,
    `image sent ${meta.image.width} × ${meta.image.height} px, ${formatBytes(meta.image.bytes)}`,
  ];
  if (finish?.usage?.totalTokens) facts.push(`${finish.usage.totalTokens.toLocaleString("en")} tokens`);
  if (finish?.finishReason === "length") facts.push("cut off at the model's length limit");
  return (
    <p className="mt-4 border-t border-border pt-3 text-xs text-muted-foreground" data-testid="answer-footer">
      {facts.join(" · ")}
    </p>
  );
}
