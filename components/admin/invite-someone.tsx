"use client";

import { useEffect, useRef, useState } from "react";
import { formatWhen } from "@/components/admin/admin-format";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ApiRequestError } from "@/lib/client/api-request";
import { createInvitation } from "@/lib/client/admin-api";
import type { Invitation } from "@/lib/shared/admin-contract";

type InviteState = { kind: "idle" } | { kind: "working" } | { kind: "made"; invitation: Invitation; copied: boolean } | { kind: "failed"; message: string };

/**
 * "Invite someone" (AUTH_MODE=password): a new link for one account, shown this once, selected
 * and with Copy. The server keeps only its hash, so a lost link is replaced by a new one.
 */
export function InviteSomeone() {
  const [state, setState] = useState<InviteState>({ kind: "idle" });
  const invite = async () => {
    setState({ kind: "working" });
    try {
      setState({ kind: "made", invitation: await createInvitation(), copied: false });
    } catch (error) {
      setState({ kind: "failed", message: error instanceof ApiRequestError ? error.message : "The invitation could not be made. Please try again." });
    }
  };
  const copy = async (invitation: Invitation) => {
    try {
      await navigator.clipboard.writeText(invitation.url);
      setState({ kind: "made", invitation, copied: true });
    } catch {
      // The browser refused (plain http, a denied permission): the link stays selected to copy by hand.
    }
  };
  return (
    <div className="flex flex-col items-start gap-3">
      <Button variant="primary" onClick={() => void invite()} disabled={state.kind === "working"}>
        Invite someone
      </Button>
      <p role="status" className="text-sm text-muted-foreground" data-testid="invite-status">
        {state.kind === "made" && (state.copied
            ? `Invitation link copied. It works once, until ${formatWhen(state.invitation.expiresAt)}.`
            : `New invitation link, valid until ${formatWhen(state.invitation.expiresAt)}: copy it now, it is not shown again.`)}
      </p>
      {state.kind === "made" && <InvitationLink invitation={state.invitation} onCopy={() => void copy(state.invitation)} />}
      {state.kind === "failed" && <Alert>{state.message}</Alert>}
    </div>
  );
}

function InvitationLink({ invitation, onCopy }: { invitation: Invitation; onCopy(): void }) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [invitation.url]);
  return (
    <div className="flex w-full flex-col gap-2 sm:flex-row">
      <input
        ref={input}
        readOnly
        value={invitation.url}
        aria-label="Invitation link"
        onFocus={(event) => event.currentTarget.select()}
        className="min-w-0 flex-1 rounded-md border border-input bg-background px-2 py-1 font-mono text-sm focus-visible:outline-2 focus-visible:outline-ring"
      />
      <Button onClick={onCopy} className="self-start">
        Copy
      </Button>
    </div>
  );
}
