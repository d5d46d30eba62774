import type { ReactNode, Ref } from "react";

export interface AccountSectionProps {
  /** The section's heading id, which names the section for screen readers. */
  id: string;
  title: string;
  /** A sentence under the heading. */
  description?: ReactNode;
  /** Set to move focus to the heading (it takes focus without being a tab stop). */
  headingRef?: Ref<HTMLHeadingElement>;
  children: ReactNode;
}

/** One card of the account page: a heading that names it, a sentence, and its content. */
export function AccountSection({ id, title, description, headingRef, children }: AccountSectionProps) {
  return (
    <section aria-labelledby={id} className="flex flex-col gap-4 rounded-lg border border-border bg-card p-5 shadow-sm sm:p-6">
      <div className="flex flex-col gap-1">
        <h2 id={id} ref={headingRef} tabIndex={headingRef ? -1 : undefined} className="text-lg font-semibold focus-visible:outline-2 focus-visible:outline-ring">
          {title}
        </h2>
        {description && <p className="text-sm text-muted-foreground">{description}</p>}
      </div>
      {children}
    </section>
  );
}
