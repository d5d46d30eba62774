"use client";

import { useRef, useState } from "react";
import { AdminTable, Badge, Cell, ColumnHeader, RowHeader, Timestamp } from "@/components/admin/admin-table";
import { ConfirmInPlace } from "@/components/admin/confirm-in-place";
import { Button } from "@/components/ui/button";
import type { AdminShare } from "@/lib/shared/admin-contract";

export interface SharesTableProps {
  shares: AdminShare[];
  /** Revokes a link; true once it is gone from the list. */
  onRevoke(share: AdminShare): Promise<boolean>;
}

/** Every live share link, whoever made it, with Revoke. */
export function SharesTable({ shares, onRevoke }: SharesTableProps) {
  const region = useRef<HTMLDivElement>(null);
  return (
    <AdminTable
      caption="Active share links"
      rowCount={shares.length}
      empty="No conversation is shared right now."
      regionRef={region}
      head={
        <>
          <ColumnHeader>Conversation</ColumnHeader>
          <ColumnHeader>Owner</ColumnHeader>
          <ColumnHeader>Who can open it</ColumnHeader>
          <ColumnHeader>Created</ColumnHeader>
          <ColumnHeader>Link</ColumnHeader>
        </>
      }
    >
      {shares.map((share) => (
        <tr key={share.id} data-testid="share-row">
          <RowHeader>{share.title}</RowHeader>
          <Cell>{share.ownerEmail ?? <span className="text-muted-foreground">This machine&apos;s owner</span>}</Cell>
          <Cell>{share.visibility === "public" ? <Badge tone="danger">Anyone with the link</Badge> : <Badge>Team members</Badge>}</Cell>
          <Cell>
            <Timestamp iso={share.createdAt} />
          </Cell>
          <Cell>
            <RevokeShare
              share={share}
              onRevoke={async () => {
                const revoked = await onRevoke(share);
                // The row is gone, with the focus that was in it: the table keeps it.
                if (revoked) region.current?.focus();
                return revoked;
              }}
            />
          </Cell>
        </tr>
      ))}
    </AdminTable>
  );
}

function RevokeShare({ share, onRevoke }: { share: AdminShare; onRevoke(): Promise<boolean> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const back = () => {
    setConfirming(false);
    // The button is back once this render is committed.
    requestAnimationFrame(() => button.current?.focus());
  };
  const revoke = async () => {
    setBusy(true);
    const revoked = await onRevoke();
    setBusy(false);
    if (!revoked) back();
  };
  if (confirming) {
    return (
      <ConfirmInPlace
        title={`Revoke the link to “${share.title}”?`}
        question={`Revoke the link to “${share.title}”? Whoever opens it from now on finds nothing. This cannot be undone.`}
        confirmLabel="Revoke"
        busy={busy}
        onConfirm={() => void revoke()}
        onCancel={back}
      />
    );
  }
  return (
    <Button ref={button} aria-label={`Revoke the link to “${share.title}”`} onClick={() => setConfirming(true)}>
      Revoke
    </Button>
  );
}
