import "server-only";
import { mkdirSync } from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider } from "kysely";
import pg from "pg";
import type { AppConfig } from "@/lib/config";
import { getLogger } from "@/lib/ops/logger";
import { HistoryStore } from "@/lib/store/history-store";
import { historyMigrations, type HistoryDialect } from "@/lib/store/migrations";
import type { HistoryDatabase } from "@/lib/store/schema";

export const SQLITE_FILE_NAME = "history.sqlite";

/** How long a SQLite write waits for another connection's (another process's) write to finish. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** PostgreSQL connections per instance: queries are short, and each instance has its own pool. */
const POSTGRES_POOL_SIZE = 10;
/** A query to an unreachable database fails after this, rather than holding a request. */
const POSTGRES_CONNECT_TIMEOUT_MS = 5_000;

/**
 * The driver's own handle beside Kysely's, for the libraries that take one (rate-limiter-flexible's
 * SQLite and PostgreSQL stores): the same file or pool, so the limits live in the same database.
 */
export type DriverHandle = { dialect: "sqlite"; database: SQLite.Database } | { dialect: "postgres"; pool: pg.Pool };

export interface OpenedDatabase {
  db: Kysely<HistoryDatabase>;
  dialect: HistoryDialect;
  driver: DriverHandle;
}

/** The history's database: PostgreSQL when DATABASE_URL is set, else SQLite under DATA_DIR. */
export function openHistoryDatabase(settings: AppConfig["history"]): OpenedDatabase {
  if (settings.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: settings.databaseUrl,
      max: POSTGRES_POOL_SIZE,
      connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    });
    // An idle connection the server drops (a restart, a failover) is an error on the pool; unhandled,
    // it would end the process. The next query opens a new connection.
    pool.on("error", (error) => getLogger().error({ component: "history", event: "postgres_connection_lost", message: error.message }));
    return { db: new Kysely<HistoryDatabase>({ dialect: new PostgresDialect({ pool }) }), dialect: "postgres", driver: { dialect: "postgres", pool } };
  }
  mkdirSync(settings.dataDirectory, { recursive: true });
  const database = new SQLite(path.join(settings.dataDirectory, SQLITE_FILE_NAME));
  // WAL lets readers go on while an answer is written; NORMAL is durable at each checkpoint and
  // never corrupts on a crash. Foreign keys make a deleted conversation take its turns with it.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  return { db: new Kysely<HistoryDatabase>({ dialect: new SqliteDialect({ database }) }), dialect: "sqlite", driver: { dialect: "sqlite", database } };
}

/** Brings the schema up to date; safe to call from several instances at once (the migrator locks). */
export async function migrateHistory(db: Kysely<HistoryDatabase>, dialect: HistoryDialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => historyMigrations(dialect) };
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((result) => result.status === "Error");
  if (error || failed) {
    throw new Error(`The history database's migration ${failed?.migrationName ?? ""} failed: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The process's database, its schema migrated, with the history's queries over it. */
export interface Database extends OpenedDatabase {
  store: HistoryStore;
}

interface OpenedHistory {
  settings: AppConfig["history"];
  database: Database;
  ready: Promise<Database>;
}

/**
 * One store per process, kept on globalThis: Next bundles instrumentation.ts and each route apart,
 * each with its own copy of this module, and one database connection (or pool) is enough for all.
 */
const holder = ((globalThis as { [key: symbol]: { opened?: OpenedHistory } })[Symbol.for("multimodal-reasoning-agent.history")] ??= {});

/**
 * The process's database, its schema migrated. Opened at start-up (instrumentation.ts), so a
 * database that cannot be reached stops the server with a message then, not a request later.
 */
export function getDatabase(config: AppConfig): Promise<Database> {
  const { opened } = holder;
  if (!sameSettings(opened?.settings, config.history)) {
    const database: Database = { ...openHistoryDatabase(config.history), store: undefined! };
    database.store = new HistoryStore(database.db, database.dialect);
    const ready = migrateHistory(database.db, database.dialect).then(() => database);
    // A failed start is retried by the next caller rather than remembered for ever.
    ready.catch(() => {
      if (holder.opened?.database === database) holder.opened = undefined;
      void database.db.destroy();
    });
    holder.opened = { settings: config.history, database, ready };
  }
  return holder.opened!.ready;
}

/** The history's queries, over the process's database. */
export async function getHistoryStore(config: AppConfig): Promise<HistoryStore> {
  return (await getDatabase(config)).store;
}

/** Each bundle parses the settings itself: the same database is the same values, not the same object. */
function sameSettings(a: AppConfig["history"] | undefined, b: AppConfig["history"]): boolean {
  return a !== undefined && a.databaseUrl === b.databaseUrl && a.dataDirectory === b.dataDirectory;
}
