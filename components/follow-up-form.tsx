"use client";

import { useId, useState, type FormEvent } from "react";
import { SUBMIT_SHORTCUT, submitOnCtrlEnter } from "@/components/submit-shortcut";
import { Button } from "@/components/ui/button";
import { Textarea } from "@/components/ui/textarea";
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
        <Textarea
          id={id}
          ref={textareaRef}
          value={task}
          onChange={(event) => setTask(event.target.value)}
          onKeyDown={submitOnCtrlEnter(ask)}
          rows={2}
          maxLength={MAX_PROMPT_CHARS}
          placeholder="e.g. What happens if the queue is down?"
          aria-keyshortcuts={SUBMIT_SHORTCUT}
          className="min-w-0 flex-1"
        />
        <Button variant="primary" type="submit" disabled={busy || !task.trim()}>
          Ask
        </Button>
      </div>
    </form>
  );
}
