"use client";

import { useId, useState, type FormEvent } from "react";
import { QuestionBox } from "@/components/question-box";
import { Button } from "@/components/ui/button";

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
        <QuestionBox id={id} ref={textareaRef} value={task} onChange={setTask} onSubmitShortcut={ask}
          rows={2} placeholder="e.g. What happens if the queue is down?" className="min-w-0 flex-1" />
        <Button variant="primary" type="submit" disabled={busy || !task.trim()}>
          Ask
        </Button>
      </div>
    </form>
  );
}
