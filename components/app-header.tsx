import type { Ref } from "react";
import { AccountMenu } from "@/components/account/account-menu";
import { Button } from "@/components/ui/button";
import type { Viewer } from "@/lib/shared/auth";

export interface AppHeaderProps {
  providerLabel: string | undefined;
  /** Opens the history drawer; the button shows only where the history is not a column of its own. */
  onOpenHistory(): void;
  historyButtonRef?: Ref<HTMLButtonElement>;
  viewer: Viewer;
}

/** The page's title, the way to the history on a narrow screen, and which model answers the next question. */
export function AppHeader({ providerLabel, onOpenHistory, historyButtonRef, viewer }: AppHeaderProps) {
  return (
    <header className="flex flex-wrap items-end justify-between gap-3">
      {/* On a phone the button sits above the title, which keeps the whole width. */}
      <div className="flex flex-col items-start gap-3 sm:flex-row">
        <Button ref={historyButtonRef} onClick={onOpenHistory} aria-haspopup="dialog" className="mt-0.5 flex shrink-0 items-center gap-1.5 xl:hidden">
          <svg aria-hidden="true" viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
            <path d="M4 6h16M4 12h16M4 18h16" />
          </svg>
          History
        </Button>
        <div>
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Multimodal Reasoning Agent</h1>
          <p className="mt-1 text-muted-foreground">Upload an architecture diagram, ask about it, and read the answer as it is written.</p>
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        {providerLabel && (
          <p className="rounded-full border border-border bg-card px-3 py-1 text-sm text-muted-foreground">
            Answers by <span className="font-medium text-foreground">{providerLabel}</span>
          </p>
        )}
        <AccountMenu viewer={viewer} />
      </div>
    </header>
  );
}
