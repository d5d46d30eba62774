"use client";

import { useRef, useState } from "react";
import { AccountSection } from "@/components/account/account-section";
import { CreateTokenForm } from "@/components/account/create-token-form";
import { NewTokenNotice } from "@/components/account/new-token-notice";
import { TokenList } from "@/components/account/token-list";
import type { ApiTokenSummary, CreatedToken } from "@/lib/shared/account-contract";

/** The person's personal API tokens: create one (shown once), list them, revoke one. */
export function ApiTokens({ initialTokens }: { initialTokens: ApiTokenSummary[] }) {
  const [tokens, setTokens] = useState(initialTokens);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [announcement, setAnnouncement] = useState("");
  // A revoked token's buttons are gone with it, and so is the new token's notice once done:
  // focus goes to the section's heading, which is still there.
  const heading = useRef<HTMLHeadingElement>(null);
  const addCreated = (next: CreatedToken) => {
    setCreated(next);
    setTokens((current) => [next.summary, ...current]);
    setAnnouncement("");
  };
  const revoked = (token: ApiTokenSummary) => {
    setTokens((current) => current.filter((each) => each.id !== token.id));
    if (created?.summary.id === token.id) setCreated(null);
    setAnnouncement(`Token “${token.name}” revoked: scripts sending it are refused from now on.`);
    heading.current?.focus();
  };
  return (
    <AccountSection
      id="account-tokens"
      title="API tokens"
      headingRef={heading}
      description={
        <>
          Scripts send a token as the header <code className="rounded bg-muted px-1 font-mono text-foreground">Authorization: Bearer …</code> and act as
          you, until you revoke it.
        </>
      }
    >
      <CreateTokenForm tokenCount={tokens.length} onCreated={addCreated} />
      {created && (
        <NewTokenNotice
          key={created.token}
          created={created}
          onDone={() => {
            setCreated(null);
            heading.current?.focus();
          }}
        />
      )}
      <TokenList tokens={tokens} onRevoked={revoked} />
      <p role="status" className="text-sm text-muted-foreground empty:hidden" data-testid="token-status">
        {announcement}
      </p>
    </AccountSection>
  );
}
