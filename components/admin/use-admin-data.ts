"use client";

import { useState } from "react";
import { ApiRequestError } from "@/lib/client/api-request";
import { listMembers, listShares, providerUsage, revokeShare, setMemberDisabled } from "@/lib/client/admin-api";
import type { AdminOverview, AdminShare, Member } from "@/lib/shared/admin-contract";

export type AdminData = Pick<AdminOverview, "since" | "members" | "byProvider" | "shares">;

export interface AdminDataControls {
  data: AdminData;
  /** What the last action did, for the status line. */
  status: string;
  problem: string | null;
  refreshing: boolean;
  refresh(): Promise<void>;
  setDisabled(member: Member, disabled: boolean): Promise<void>;
  /** True once the link is revoked and gone from the list. */
  revoke(share: AdminShare): Promise<boolean>;
}

const describe = (error: unknown) => (error instanceof ApiRequestError ? error.message : "That did not work. Please try again.");

/** The admin page's tables, as read on the server when it opened, kept in step with what the admin does. */
export function useAdminData(initial: AdminData): AdminDataControls {
  const [data, setData] = useState(initial);
  const [status, setStatus] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [refreshing, setRefreshing] = useState(false);

  const refresh = async () => {
    setRefreshing(true);
    try {
      const [members, usage, shares] = await Promise.all([listMembers(), providerUsage(), listShares()]);
      setData({ since: members.since, members: members.members, byProvider: usage.byProvider, shares: shares.shares });
      setProblem(null);
      setStatus("Up to date.");
    } catch (error) {
      setProblem(describe(error));
    } finally {
      setRefreshing(false);
    }
  };

  const setDisabled = async (member: Member, disabled: boolean) => {
    const who = member.email ?? member.name;
    try {
      const updated = await setMemberDisabled(member.id, disabled);
      setData((current) => ({ ...current, members: current.members.map((each) => (each.id === updated.id ? updated : each)) }));
      setProblem(null);
      setStatus(disabled ? `${who} is disabled and signed out everywhere.` : `${who} can sign in again.`);
    } catch (error) {
      setProblem(describe(error));
    }
  };

  const revoke = async (share: AdminShare) => {
    try {
      await revokeShare(share.id);
    } catch (error) {
      // Already revoked (by its owner, or another admin): the list was out of date, and now is not.
      if (!(error instanceof ApiRequestError && error.code === "not_found")) {
        setProblem(describe(error));
        return false;
      }
    }
    setData((current) => ({ ...current, shares: current.shares.filter((each) => each.id !== share.id) }));
    setProblem(null);
    setStatus(`The link to “${share.title}” is revoked.`);
    return true;
  };

  return { data, status, problem, refreshing, refresh, setDisabled, revoke };
}
