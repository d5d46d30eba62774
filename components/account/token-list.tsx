"use client";

import { useRef, useState } from "react";
import { formatWhen } from "@/components/account/account-format";
import { DeleteConfirmation } from "@/components/history/history-item-forms";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { describeRequestFailure } from "@/lib/client/api-request";
import { revokeToken } from "@/lib/client/account-api";
import type { ApiTokenSummary } from "@/lib/shared/account-contract";

export interface TokenListProps {
  tokens: ApiTokenSummary[];
  onRevoked(token: ApiTokenSummary): void;
}

/** The person's tokens, newest first: name, last characters, dates, and Revoke. */
export function TokenList({ tokens, onRevoked }: TokenListProps) {
  if (tokens.length === 0) return <p className="text-sm text-muted-foreground">You have no API tokens.</p>;
  return (
    <ul aria-label="Your API tokens" className="flex flex-col divide-y divide-border border-t border-border">
      {tokens.map((token) => (
        <TokenRow key={token.id} token={token} onRevoked={onRevoked} />
      ))}
    </ul>
  );
}

function TokenRow({ token, onRevoked }: { token: ApiTokenSummary; onRevoked(token: ApiTokenSummary): void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const revoke = async () => {
    try {
      await revokeToken(token.id);
      onRevoked(token);
    } catch (error) {
      setProblem(describeRequestFailure(error));
      setConfirming(false);
    }
  };
  return (
    <li className="flex flex-col gap-2 py-3" data-testid="api-token">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium break-words" data-testid="api-token-name">
            {token.name}
          </p>
          <p className="text-sm text-muted-foreground">
            Ends in <span className="font-mono text-foreground">…{token.hint}</span> · created {formatWhen(token.createdAt)} ·{" "}
            {token.lastUsedAt ? `last used ${formatWhen(token.lastUsedAt)}` : "never used"}
          </p>
        </div>
        {!confirming && (
          <Button ref={button} aria-label={`Revoke “${token.name}”`} onClick={() => setConfirming(true)}>
            Revoke
          </Button>
        )}
      </div>
      {confirming && (
        <DeleteConfirmation
          title={`Revoke “${token.name}”?`}
          question={`Revoke “${token.name}”? Scripts that send it are refused from their next request.`}
          confirmLabel="Revoke"
          onConfirm={() => void revoke()}
          onCancel={() => {
            setConfirming(false);
            // The button is back once this render is committed.
            requestAnimationFrame(() => button.current?.focus());
          }}
        />
      )}
      {problem && <Alert>{problem}</Alert>}
    </li>
  );
}
