import "server-only";
import { getLogger } from "@/lib/ops/logger";
import type { HistoryStore } from "@/lib/store/history-store";

/** How often retention runs after the first run at start-up. */
const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Deletes the conversations untouched for `days`, and the images only they used. */
export async function applyRetention(store: HistoryStore, days: number, now: Date = new Date()): Promise<void> {
  const deleted = await store.deleteConversationsUpdatedBefore(new Date(now.getTime() - days * DAY_MS));
  if (deleted.conversations || deleted.images) getLogger().info({ component: "history", event: "retention", days, ...deleted });
}

/**
 * HISTORY_RETENTION_DAYS, applied at start-up and every hour after. Several instances may run it
 * at once: each deletion is one statement, and deleting what another has deleted deletes nothing.
 */
export function startRetention(store: HistoryStore, days: number | undefined): void {
  if (!days) return;
  const run = () =>
    applyRetention(store, days).catch((error: unknown) =>
      getLogger().error({ component: "history", event: "retention_failed", message: error instanceof Error ? error.message : String(error) }),
    );
  void run();
  setInterval(run, RETENTION_INTERVAL_MS).unref();
}
