import "server-only";
import { getConfig } from "@/lib/config";
import type { ConversationApiDependencies } from "@/lib/history/conversation-api";
import { getAuthRuntime } from "@/lib/auth/identity";
import { getHistoryStore } from "@/lib/store/database";

/** The process's own dependencies for the history routes, resolved per request (not at build). */
export function historyRouteDependencies(): ConversationApiDependencies {
  const config = getConfig();
  return { config, history: () => getHistoryStore(config), auth: () => getAuthRuntime(config) };
}
