"use client";

import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { useSubmission } from "@/components/sign-in/use-submission";
import { startSingleSignOn } from "@/lib/client/sign-in";

export interface SingleSignOnProps {
  /** How the team's identity provider is named (OIDC_NAME). */
  providerName: string;
  /** Where to return once signed in. */
  next: string;
}

/** AUTH_MODE=oidc: one button, to the team's identity provider and back. */
export function SingleSignOn({ providerName, next }: SingleSignOnProps) {
  const { pending, message, run } = useSubmission();
  return (
    <div className="flex flex-col gap-4">
      <Button variant="primary" className="w-full" disabled={pending} onClick={() => void run(() => startSingleSignOn(next))}>
        {pending ? "Opening the sign-in page…" : `Sign in with ${providerName}`}
      </Button>
      {message && <Alert data-testid="sign-in-error">{message}</Alert>}
    </div>
  );
}
