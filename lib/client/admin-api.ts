import { jsonBody, requestEmpty, requestJson } from "@/lib/client/api-request";
import {
  adminShareListSchema,
  adminUsageSchema,
  invitationSchema,
  memberListSchema,
  memberUpdateResultSchema,
  type AdminShareList,
  type AdminUsage,
  type Invitation,
  type Member,
  type MemberList,
} from "@/lib/shared/admin-contract";

/**
 * The admin page's side of /api/admin: every answer is checked against the contract's schemas,
 * and every failure becomes an ApiRequestError with a sentence to show.
 */

const BASE = "/api/admin";

export function listMembers(signal?: AbortSignal): Promise<MemberList> {
  return requestJson(`${BASE}/members`, { signal }, memberListSchema);
}

/** Disables a member (their sessions end at once) or enables them again; the member as they are now. */
export async function setMemberDisabled(id: string, disabled: boolean): Promise<Member> {
  return (await requestJson(`${BASE}/members/${encodeURIComponent(id)}`, jsonBody("PATCH", { disabled }), memberUpdateResultSchema)).member;
}

export function providerUsage(signal?: AbortSignal): Promise<AdminUsage> {
  return requestJson(`${BASE}/usage`, { signal }, adminUsageSchema);
}

export function listShares(signal?: AbortSignal): Promise<AdminShareList> {
  return requestJson(`${BASE}/shares`, { signal }, adminShareListSchema);
}

export async function revokeShare(id: string): Promise<void> {
  await requestEmpty(`${BASE}/shares/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** A new invitation link: the only time its address exists outside the person it is given to. */
export function createInvitation(): Promise<Invitation> {
  return requestJson(`${BASE}/invitations`, { method: "POST" }, invitationSchema);
}
