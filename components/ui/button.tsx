import type { ButtonHTMLAttributes, Ref } from "react";
import { classNames } from "@/components/ui/class-names";

const VARIANT_CLASSES = {
  /** The one action a form is for: Analyze, Ask. */
  primary:
    "rounded-lg bg-primary px-4 py-2.5 font-medium text-primary-foreground shadow-sm transition hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:cursor-not-allowed disabled:opacity-40",
  /** Everything beside it: Replace, Remove, Stop, Retry, Copy, Download. */
  outline: "rounded-md border border-border px-3 py-1.5 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-50",
  /** The one that deletes, in a confirmation. */
  danger:
    "rounded-md bg-danger px-3 py-1.5 text-sm font-medium text-background hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:opacity-50",
  /** A small action shown as an icon (Rename, Delete in the history); its name is its aria-label. */
  icon: "inline-flex size-8 shrink-0 items-center justify-center rounded-md text-muted-foreground hover:bg-muted hover:text-foreground focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-50",
};

export type ButtonVariant = keyof typeof VARIANT_CLASSES;

/** A button's look, for a link that acts as a button (a download, a new page). */
export function buttonClassName(variant: ButtonVariant, className?: string): string {
  return classNames(VARIANT_CLASSES[variant], className);
}

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: ButtonVariant;
  ref?: Ref<HTMLButtonElement>;
}

/** A page button in one of its looks; `className` adds placement (a margin, say), not looks. */
export function Button({ variant = "outline", type = "button", className, ...props }: ButtonProps) {
  return <button type={type} className={classNames(VARIANT_CLASSES[variant], className)} {...props} />;
}
