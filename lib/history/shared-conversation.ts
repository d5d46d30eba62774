import "server-only";
import { getAuthRuntime } from "@/lib/auth/identity";
import { getConfig } from "@/lib/config";
import { shareReaderOf } from "@/lib/history/conversation-api";
import { getHistoryStore } from "@/lib/store/database";
import { SHARE_TOKEN_PATTERN, type SharedConversation } from "@/lib/shared/history-contract";

export type SharedPage = { found: SharedConversation } | { signInFirst: true } | { notFound: true };

/**
 * What a share link's server-rendered page shows: the conversation; or, for someone signed out
 * who may open only public links, a sign-in first (the link may be the team's); or the same 404
 * for a malformed, unknown or revoked token alike.
 */
export async function findSharedConversation(token: string, headers: Headers): Promise<SharedPage> {
  if (!SHARE_TOKEN_PATTERN.test(token)) return { notFound: true };
  const config = getConfig();
  const [store, runtime] = await Promise.all([getHistoryStore(config), getAuthRuntime(config)]);
  const reader = await shareReaderOf(headers, runtime);
  const found = reader ? await store.sharedConversation(token, reader) : undefined;
  if (found) return { found };
  return reader === "member" ? { notFound: true } : { signInFirst: true };
}
