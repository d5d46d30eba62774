"use client";

import Link from "next/link";
import { Button, buttonClassName } from "@/components/ui/button";
import type { Opening } from "@/lib/client/conversation";

export interface OpeningStateProps {
  opening: Opening;
  onTryAgain(): void;
  onNewConversation(): void;
}

/** A saved conversation on its way from the server, or why it is not coming. */
export function OpeningState({ opening, onTryAgain, onNewConversation }: OpeningStateProps) {
  if (opening.state === "loading") {
    return (
      <p role="status" className="min-h-64 rounded-lg border border-border bg-card p-5 text-muted-foreground shadow-sm sm:p-6">
        Opening the conversation…
      </p>
    );
  }
  const missing = opening.state === "missing";
  return (
    <section
      aria-labelledby="opening-problem"
      data-testid="opening-problem"
      className="flex flex-col items-start gap-3 rounded-lg border border-border bg-card p-5 shadow-sm sm:p-6"
    >
      <h2 id="opening-problem" className="text-lg font-semibold">
        {missing ? "This conversation does not exist or was deleted" : "The conversation could not be opened"}
      </h2>
      <p className="text-muted-foreground">
        {missing ? "Its link may be mistyped, or the conversation was deleted from the history." : opening.message}
      </p>
      <div className="flex flex-wrap gap-2">
        {!missing && <Button onClick={onTryAgain}>Try again</Button>}
        <Link href="/" onClick={onNewConversation} className={buttonClassName("primary")}>
          Start a new conversation
        </Link>
      </div>
    </section>
  );
}
