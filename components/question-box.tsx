import type { Ref } from "react";
import { SUBMIT_SHORTCUT, submitOnCtrlEnter } from "@/components/submit-shortcut";
import { classNames } from "@/components/ui/class-names";
import { MAX_PROMPT_CHARS } from "@/lib/shared/limits";

export interface QuestionBoxProps {
  id: string;
  ref?: Ref<HTMLTextAreaElement>;
  value: string;
  onChange(value: string): void;
  /** Ctrl/Cmd+Enter: send without reaching for the mouse; plain Enter is a new line. */
  onSubmitShortcut(): void;
  rows: number;
  placeholder: string;
  /** Sizes the box in its row. */
  className: string;
}

/** A box to write a question in: the task, or a follow-up. */
export function QuestionBox({ onChange, onSubmitShortcut, className, ...props }: QuestionBoxProps) {
  return (
    <textarea
      {...props}
      onChange={(event) => onChange(event.target.value)}
      onKeyDown={submitOnCtrlEnter(onSubmitShortcut)}
      maxLength={MAX_PROMPT_CHARS}
      aria-keyshortcuts={SUBMIT_SHORTCUT}
      className={classNames(
        "resize-y rounded-lg border border-input bg-card px-3 py-2 shadow-sm placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-ring",
        className,
      )}
    />
  );
}
