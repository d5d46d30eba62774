"use client";

import { useEffect, useRef, useState } from "react";
import { formatCount } from "@/components/admin/admin-format";
import { AdminTable, Badge, Cell, ColumnHeader, RowHeader, Timestamp } from "@/components/admin/admin-table";
import { ConfirmInPlace } from "@/components/admin/confirm-in-place";
import { Button } from "@/components/ui/button";
import type { Member } from "@/lib/shared/admin-contract";

export interface MembersTableProps {
  members: Member[];
  /** The admin looking, who cannot disable themself. */
  selfId: string;
  /** Disables or enables a member; resolves once the page shows the outcome (or the problem). */
  onSetDisabled(member: Member, disabled: boolean): Promise<void>;
}

/** Who uses the server: each person's usage over the window, last use and account, with Disable and Enable. */
export function MembersTable({ members, selfId, onSetDisabled }: MembersTableProps) {
  return (
    <AdminTable
      caption="Members, with their analyses and tokens in the last 30 days"
      rowCount={members.length}
      empty="Nobody has signed in yet."
      head={
        <>
          <ColumnHeader>E-mail</ColumnHeader>
          <ColumnHeader>Name</ColumnHeader>
          <ColumnHeader>Role</ColumnHeader>
          <ColumnHeader numeric>Analyses</ColumnHeader>
          <ColumnHeader numeric>Tokens</ColumnHeader>
          <ColumnHeader>Last use</ColumnHeader>
          <ColumnHeader>Created</ColumnHeader>
          <ColumnHeader>Access</ColumnHeader>
        </>
      }
    >
      {members.map((member) => (
        <tr key={member.id} data-testid="member-row">
          <RowHeader>
            {member.email ?? <span className="text-muted-foreground">No e-mail (this machine&apos;s owner)</span>}
          </RowHeader>
          <Cell>{member.name}</Cell>
          <Cell>
            <Badge>{member.role}</Badge>
          </Cell>
          <Cell numeric>{formatCount(member.analyses)}</Cell>
          <Cell numeric>{formatCount(member.totalTokens)}</Cell>
          <Cell>
            <Timestamp iso={member.lastUsedAt} />
          </Cell>
          <Cell>
            <Timestamp iso={member.createdAt} />
          </Cell>
          <Cell>
            <MemberAccess member={member} isSelf={member.id === selfId} onSetDisabled={onSetDisabled} />
          </Cell>
        </tr>
      ))}
    </AdminTable>
  );
}

interface MemberAccessProps {
  member: Member;
  isSelf: boolean;
  onSetDisabled(member: Member, disabled: boolean): Promise<void>;
}

/** Whether the member may sign in, and the way to change it: Disable asks first, Enable does not. */
function MemberAccess({ member, isSelf, onSetDisabled }: MemberAccessProps) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  // The confirmation (or the other button) that had focus is gone: focus returns to this row's button.
  const returnFocus = useRef(false);
  useEffect(() => {
    if (confirming || busy || !returnFocus.current) return;
    button.current?.focus();
    returnFocus.current = false;
  });
  const who = member.email ?? member.name;
  const change = async (disabled: boolean) => {
    setBusy(true);
    await onSetDisabled(member, disabled);
    returnFocus.current = true;
    setBusy(false);
    setConfirming(false);
  };
  if (isSelf) return <span className="text-muted-foreground">You</span>;
  if (confirming) {
    return (
      <ConfirmInPlace
        title={`Disable ${who}?`}
        question={`Disable ${who}? They are signed out at once, and their API tokens stop working until you enable them again.`}
        confirmLabel="Disable"
        busy={busy}
        onConfirm={() => void change(true)}
        onCancel={() => {
          returnFocus.current = true;
          setConfirming(false);
        }}
      />
    );
  }
  return (
    <div className="flex items-center gap-2">
      {member.disabled ? <Badge tone="danger">Disabled</Badge> : <Badge>Active</Badge>}
      {member.disabled ? (
        <Button ref={button} aria-label={`Enable ${who}`} disabled={busy} onClick={() => void change(false)}>
          Enable
        </Button>
      ) : (
        <Button ref={button} aria-label={`Disable ${who}`} onClick={() => setConfirming(true)}>
          Disable
        </Button>
      )}
    </div>
  );
}
