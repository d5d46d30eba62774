"use client";

import { useState } from "react";
import { MarkdownAnswer } from "@/components/markdown-answer";

export interface ReasoningPanelProps {
  /** The model's thought summaries so far, as markdown. */
  thoughts: string;
  /** The model is still thinking: its summaries may grow. */
  thinking: boolean;
  /** The answer has begun: the reasoning steps aside unless the person opened it. */
  answering: boolean;
}

/**
 * The model's reasoning, apart from the answer: open while the model thinks, so there is
 * something to read during a long wait, and folded away once the answer starts. Once the person
 * opens or closes it themselves, it stays as they left it.
 */
export function ReasoningPanel({ thoughts, thinking, answering }: ReasoningPanelProps) {
  const [chosen, setChosen] = useState<boolean | null>(null);
  const open = chosen ?? !answering;
  return (
    <details
      open={open}
      onToggle={(event) => {
        // The toggle event also follows our own `open` changes; only a differing state is the person's.
        if (event.currentTarget.open !== open) setChosen(event.currentTarget.open);
      }}
      className="group rounded-md border border-border bg-muted/40 text-sm"
      data-testid="reasoning"
    >
      <summary className="flex cursor-pointer items-center gap-2 px-3 py-2 font-medium text-muted-foreground select-none focus-visible:outline-2 focus-visible:outline-ring">
        <svg aria-hidden="true" viewBox="0 0 16 16" className="size-3 transition-transform group-open:rotate-90" fill="currentColor">
          <path d="M5 3l6 5-6 5z" />
        </svg>
        {/* The space keeps "Reasoning · thinking…" apart for screen readers; the gap does it on screen. */}
        Reasoning{" "}
        {thinking && <span className="font-normal">· thinking…</span>}
      </summary>
      <div className="max-h-80 overflow-y-auto border-t border-border px-3 py-2 text-muted-foreground">
        <MarkdownAnswer markdown={thoughts} streaming={thinking} />
      </div>
    </details>
  );
}
