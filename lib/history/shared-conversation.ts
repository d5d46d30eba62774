import "server-only";
import { getConfig } from "@/lib/config";
import { getHistoryStore } from "@/lib/store/database";
import { SHARE_TOKEN_PATTERN, type SharedConversation } from "@/lib/shared/history-contract";

/**
 * The conversation a share link shows, for its server-rendered page; undefined for a malformed,
 * unknown or revoked token alike, so the page answers all three with the same 404.
 */
export async function findSharedConversation(token: string): Promise<SharedConversation | undefined> {
  if (!SHARE_TOKEN_PATTERN.test(token)) return undefined;
  const store = await getHistoryStore(getConfig());
  return store.sharedConversation(token);
}
