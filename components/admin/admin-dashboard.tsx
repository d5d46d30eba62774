"use client";

import Link from "next/link";
import { useId, type ReactNode } from "react";
import { AccountMenu } from "@/components/account/account-menu";
import { formatDay } from "@/components/admin/admin-format";
import { InviteSomeone } from "@/components/admin/invite-someone";
import { MembersTable } from "@/components/admin/members-table";
import { SharesTable } from "@/components/admin/shares-table";
import { UsageTable } from "@/components/admin/usage-table";
import { useAdminData } from "@/components/admin/use-admin-data";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { INVITATION_VALID_DAYS, type AdminOverview } from "@/lib/shared/admin-contract";
import type { Viewer } from "@/lib/shared/auth";

export interface AdminDashboardProps {
  overview: AdminOverview;
  viewer: Viewer;
}

const MEMBERS =
  "Everyone with an account, with their analyses and tokens in the last 30 days. A disabled member is signed out at once and cannot use the server, not even with an API token.";
const LOCAL_ONLY = "This server has no accounts (AUTH_MODE=none): its one user is the owner of this machine, whose analyses and tokens in the last 30 days are below.";
const INVITATIONS = `New accounts need an invitation from an admin: a link for one person, which works once, for ${INVITATION_VALID_DAYS} days, and is shown only here and now.`;

/** The admin page: members and their usage, usage per provider, live share links, and invitations. */
export function AdminDashboard({ overview, viewer }: AdminDashboardProps) {
  const { data, status, problem, refreshing, refresh, setDisabled, revoke } = useAdminData(overview);
  return (
    <main className="mx-auto flex w-full max-w-6xl min-w-0 flex-col gap-6 px-4 py-6 sm:px-8 sm:py-10">
      <div className="flex flex-col">
        <header className="flex flex-wrap items-end justify-between gap-3">
          <div className="flex flex-col items-start gap-1">
            <Link href="/" className="text-sm text-primary underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-ring">
              ← Back to the workspace
            </Link>
            <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Admin</h1>
            <p className="text-muted-foreground">
              Members, usage and share links. Usage covers the last 30 days, since <time dateTime={data.since}>{formatDay(data.since)}</time>.
            </p>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <Button onClick={() => void refresh()} disabled={refreshing}>
              Refresh
            </Button>
            <AccountMenu viewer={viewer} />
          </div>
        </header>
        {/* Always on the page, so what it says is announced when it changes; empty, it takes no room. */}
        <p role="status" className="mt-4 text-sm text-muted-foreground empty:mt-0" data-testid="admin-status">
          {status}
        </p>
        {problem && (
          <div className="mt-2">
            <Alert data-testid="admin-problem">{problem}</Alert>
          </div>
        )}
      </div>
      <AdminSection title="Members" description={viewer.mode === "none" ? LOCAL_ONLY : MEMBERS}>
        <MembersTable members={data.members} selfId={overview.selfId} onSetDisabled={setDisabled} />
      </AdminSection>
      <AdminSection title="Usage per provider" description="Analyses and tokens in the last 30 days, as each provider reported them. The offline analyzer uses no tokens.">
        <UsageTable byProvider={data.byProvider} />
      </AdminSection>
      <AdminSection title="Share links" description="Every conversation shared right now, whoever shared it. Revoking a link makes it stop working at once.">
        <SharesTable shares={data.shares} onRevoke={revoke} />
      </AdminSection>
      {overview.canInvite && (
        <AdminSection title="Invitations" description={INVITATIONS}>
          <InviteSomeone />
        </AdminSection>
      )}
    </main>
  );
}

function AdminSection({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="flex min-w-0 flex-col gap-3 rounded-lg border border-border bg-card p-4 shadow-sm">
      <div className="flex flex-col gap-1">
        <h2 id={headingId} className="text-lg font-semibold">
          {title}
        </h2>
        <p className="text-sm text-muted-foreground">{description}</p>
      </div>
      {children}
    </section>
  );
}
