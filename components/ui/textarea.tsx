import type { Ref, TextareaHTMLAttributes } from "react";
import { classNames } from "@/components/ui/class-names";

export interface TextareaProps extends TextareaHTMLAttributes<HTMLTextAreaElement> {
  ref?: Ref<HTMLTextAreaElement>;
}

/** A question box; `className` sizes it in its row. */
export function Textarea({ className, ...props }: TextareaProps) {
  return (
    <textarea
      className={classNames(
        "resize-y rounded-lg border border-input bg-card px-3 py-2 shadow-sm placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-ring",
        className,
      )}
      {...props}
    />
  );
}
