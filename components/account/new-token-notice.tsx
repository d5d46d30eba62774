"use client";

import { useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import type { CreatedToken } from "@/lib/shared/account-contract";

type CopyState = "idle" | "copied" | "refused";

/**
 * The token just created, the one time it exists outside the person's hands: selected in a box to
 * copy, with Copy; Done forgets it.
 */
export function NewTokenNotice({ created, onDone }: { created: CreatedToken; onDone(): void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copy, setCopy] = useState<CopyState>("idle");
  const headingId = useId();
  // Shown once per token (the parent keys it by the token): the box to copy from has focus.
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [created.token]);
  const copyToken = async () => {
    try {
      await navigator.clipboard.writeText(created.token);
      setCopy("copied");
    } catch {
      // Plain http or a denied permission: the box is selected for Ctrl/Cmd+C instead.
      setCopy("refused");
      input.current?.focus();
      input.current?.select();
    }
  };
  return (
    <div role="region" aria-labelledby={headingId} className="flex flex-col gap-2 rounded-md border border-primary/40 bg-primary/10 p-3 text-sm" data-testid="new-token">
      <h3 id={headingId} className="font-medium break-words">
        Your new token “{created.summary.name}”
      </h3>
      <p>Copy it now and keep it somewhere safe: it won&apos;t be shown again.</p>
      <div className="flex flex-col gap-2 sm:flex-row">
        <input
          ref={input}
          readOnly
          value={created.token}
          aria-label="New API token"
          onFocus={(event) => event.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border border-input bg-card px-2 py-1.5 font-mono text-sm focus-visible:outline-2 focus-visible:outline-ring"
        />
        <div className="flex gap-2">
          <Button onClick={() => void copyToken()} className="bg-card">
            Copy
          </Button>
          <Button onClick={onDone} className="bg-card">
            Done
          </Button>
        </div>
      </div>
      <p role="status" className="text-muted-foreground empty:hidden">
        {copy === "copied" && "Copied to the clipboard."}
        {copy === "refused" && "The browser did not allow copying: the token is selected, copy it with Ctrl+C (⌘C on a Mac)."}
      </p>
    </div>
  );
}
