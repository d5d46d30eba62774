"use client";

import { useId, useState, type FormEvent } from "react";
import { SUBMIT_SHORTCUT, submitOnCtrlEnter } from "@/components/submit-shortcut";
import { MAX_PROMPT_CHARS } from "@/lib/shared/limits";

export interface FollowUpFormProps {
  imageName: string;
  /** An answer is running: typing the next question is fine, sending it waits. */
  busy: boolean;
  onAsk(task: string): void;
  textareaRef?: React.Ref<HTMLTextAreaElement>;
}

/** The next question about the same image; the server still has it, so nothing is uploaded again. */
export function FollowUpForm({ imageName, busy, onAsk, textareaRef }: FollowUpFormProps) {
  const [task, setTask] = useState("");
  const id = useId();
  const ask = () => {
    if (busy || !task.trim()) return;
    onAsk(task.trim());
    setTask("");
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    ask();
  };
  return (
    <form onSubmit={onSubmit} aria-label="Ask a follow-up" className="flex flex-col gap-2">
      <label htmlFor={id} className="text-sm font-medium">
        Follow-up about <span className="break-all">{imageName}</span>
      </label>
      <div className="flex items-end gap-2">
        <textarea
          id={id}
          ref={textareaRef}
          value={task}
          onChange={(event) => setTask(event.target.value)}
          onKeyDown={submitOnCtrlEnter(ask)}
          rows={2}
          maxLength={MAX_PROMPT_CHARS}
          placeholder="e.g. What happens if the queue is down?"
          aria-keyshortcuts={SUBMIT_SHORTCUT}
          className="min-w-0 flex-1 resize-y rounded-lg border border-input bg-card px-3 py-2 shadow-sm placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-ring"
        />
        <button
          type="submit"
          disabled={busy || !task.trim()}
          className="rounded-lg bg-primary px-4 py-2.5 font-medium text-primary-foreground shadow-sm transition hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:cursor-not-allowed disabled:opacity-40"
        >
          Ask
        </button>
      </div>
    </form>
  );
}
