import "server-only";
import type { AppConfig } from "@/lib/config";
import { startRetention } from "@/lib/history/retention";
import { getLogger } from "@/lib/ops/logger";
import { getHistoryStore } from "@/lib/store/database";

/**
 * Opens the history as the server starts and brings its schema up to date, so a database that
 * cannot be reached or migrated stops the server with a message, rather than failing requests.
 */
export async function openHistoryAtStartup(config: AppConfig): Promise<void> {
  try {
    const store = await getHistoryStore(config);
    const where = config.history.databaseUrl ? "PostgreSQL (DATABASE_URL)" : `SQLite in ${config.history.dataDirectory}`;
    getLogger().info({ component: "history", event: "ready", database: where });
    startRetention(store, config.history.retentionDays);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const hint = config.history.databaseUrl
      ? "Check DATABASE_URL and that PostgreSQL is running and reachable."
      : `Check that DATA_DIR (${config.history.dataDirectory}) is writable.`;
    console.error(`The conversation history could not be opened: ${reason}\n${hint}`);
    process.exit(1);
  }
}
