import type { ReactNode } from "react";

export interface SignInCardProps {
  title: string;
  /** A sentence under the title: what this page is for. */
  lead?: ReactNode;
  children: ReactNode;
}

/** The frame of the pages one sees before signing in: the tool's name, a title, one task. */
export function SignInCard({ title, lead, children }: SignInCardProps) {
  return (
    <main className="flex min-h-dvh items-start justify-center px-4 py-12 sm:items-center">
      <div className="w-full max-w-md">
        <p className="mb-4 text-center text-sm font-medium text-muted-foreground">Multimodal Reasoning Agent</p>
        <section aria-labelledby="sign-in-title" className="rounded-lg border border-border bg-card p-6 text-card-foreground shadow-sm sm:p-8">
          <h1 id="sign-in-title" className="text-xl font-semibold tracking-tight">
            {title}
          </h1>
          {lead && <div className="mt-2 text-sm text-muted-foreground">{lead}</div>}
          <div className="mt-6">{children}</div>
        </section>
      </div>
    </main>
  );
}
