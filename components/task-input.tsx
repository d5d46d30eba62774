"use client";

import { useId, useRef } from "react";
import { QuestionBox } from "@/components/question-box";

export const EXAMPLE_TASKS = [
  "Explain this architecture",
  "List every component and its role",
  "Find single points of failure and risks",
  "Review security",
  "Redraw as a Mermaid diagram",
];

export interface TaskInputProps {
  value: string;
  onChange(value: string): void;
  /** Ctrl/Cmd+Enter: analyze without reaching for the mouse. */
  onSubmitShortcut(): void;
}

/**
 * The task box stays editable while an answer streams: the next question can be written meanwhile.
 */
export function TaskInput({ value, onChange, onSubmitShortcut }: TaskInputProps) {
  const id = useId();
  const textarea = useRef<HTMLTextAreaElement>(null);
  // An example goes into the box and so does the focus (setting the value puts the caret at its
  // end): ready to edit, or to send with Ctrl/Cmd+Enter without finding the box again.
  const chooseExample = (example: string) => {
    onChange(example);
    textarea.current?.focus();
  };
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor={id} className="font-medium">
        Task
      </label>
      <QuestionBox id={id} ref={textarea} value={value} onChange={onChange} onSubmitShortcut={onSubmitShortcut}
        rows={4} placeholder="e.g. Explain this architecture" className="w-full" />
      <div className="flex flex-wrap gap-2" role="group" aria-label="Example tasks">
        {EXAMPLE_TASKS.map((example) => (
          <button
            key={example}
            type="button"
            onClick={() => chooseExample(example)}
            className="rounded-full border border-border bg-card px-3 py-1 text-sm text-muted-foreground hover:border-primary hover:text-foreground focus-visible:outline-2 focus-visible:outline-ring"
          >
            {example}
          </button>
        ))}
      </div>
    </div>
  );
}
