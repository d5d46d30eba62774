import { jsonBody, requestEmpty, requestJson } from "@/lib/client/api-request";
import {
  createdTokenSchema,
  tokenListSchema,
  usageReportSchema,
  type ApiTokenSummary,
  type CreatedToken,
  type UsageReport,
} from "@/lib/shared/account-contract";

/**
 * The account page's side of /api/tokens, /api/usage and signing out: every answer is checked
 * against the contract's schemas, and every failure becomes an ApiRequestError with a
 * sentence to show.
 */

const TOKENS = "/api/tokens";

export async function listTokens(signal?: AbortSignal): Promise<ApiTokenSummary[]> {
  return (await requestJson(TOKENS, { signal }, tokenListSchema)).tokens;
}

/** A new token: the answer holds its whole text, which the server never shows again. */
export function createToken(name: string): Promise<CreatedToken> {
  return requestJson(TOKENS, jsonBody("POST", { name }), createdTokenSchema);
}

export async function revokeToken(id: string): Promise<void> {
  await requestEmpty(`${TOKENS}/${encodeURIComponent(id)}`, { method: "DELETE" });
}

export function getUsage(signal?: AbortSignal): Promise<UsageReport> {
  return requestJson("/api/usage", { signal }, usageReportSchema);
}

/** Ends this browser's session (better-auth's own endpoint); the cookie goes with it. */
export async function signOut(): Promise<void> {
  // disableRedirect: the page decides where to go, not the identity provider's logout address.
  await requestEmpty("/api/auth/sign-out", jsonBody("POST", { disableRedirect: true }));
}

/** Ends every session of the person's, this one included. */
export async function signOutEverywhere(): Promise<void> {
  await requestEmpty("/api/account/sign-out-everywhere", { method: "POST" });
}
