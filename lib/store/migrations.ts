import "server-only";
import { sql, type Kysely, type Migration } from "kysely";

export type HistoryDialect = "sqlite" | "postgres";

/**
 * The history's schema, version by version. Applied in name order at start-up by Kysely's
 * Migrator, under its lock (a table lock on SQLite, an advisory lock on PostgreSQL), so instances
 * starting together do not collide. A released migration never changes: add the next one.
 *
 * The tables are the same on both databases; only the full-text search differs: SQLite's FTS5
 * index beside the turns, PostgreSQL's `tsvector` column with a GIN index.
 */
export function historyMigrations(dialect: HistoryDialect): Record<string, Migration> {
  return {
    "0001_history": { up: (db) => createHistoryTables(db, dialect) },
    "0002_search": { up: (db) => (dialect === "sqlite" ? createSqliteSearch(db) : createPostgresSearch(db)) },
  };
}

// Migrations run before the app's types apply to a database: Kysely's own advice is `Kysely<any>`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDatabase = Kysely<any>;

async function createHistoryTables(db: AnyDatabase, dialect: HistoryDialect) {
  const binary = dialect === "sqlite" ? "blob" : "bytea";
  await db.schema
    .createTable("images")
    .addColumn("hash", "text", (column) => column.primaryKey())
    .addColumn("mime_type", "text", (column) => column.notNull())
    .addColumn("width", "integer", (column) => column.notNull())
    .addColumn("height", "integer", (column) => column.notNull())
    .addColumn("bytes", "integer", (column) => column.notNull())
    .addColumn("data", binary, (column) => column.notNull())
    .addColumn("thumbnail", binary)
    .addColumn("created_at", "text", (column) => column.notNull())
    .execute();

  await db.schema
    .createTable("conversations")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("owner_id", "text", (column) => column.notNull())
    .addColumn("title", "text", (column) => column.notNull())
    .addColumn("image_hash", "text", (column) => column.references("images.hash").onDelete("set null"))
    .addColumn("created_at", "text", (column) => column.notNull())
    .addColumn("updated_at", "text", (column) => column.notNull())
    .execute();
  // The list: one owner's conversations, newest first, paged by (updated_at, id).
  await db.schema.createIndex("conversations_owner_updated").on("conversations").columns(["owner_id", "updated_at", "id"]).execute();
  // Is an image still used, when a conversation goes?
  await db.schema.createIndex("conversations_image").on("conversations").column("image_hash").execute();

  await db.schema
    .createTable("turns")
    .addColumn("seq", dialect === "sqlite" ? "integer" : "bigserial", (column) =>
      dialect === "sqlite" ? column.primaryKey().autoIncrement() : column.primaryKey(),
    )
    .addColumn("id", "text", (column) => column.notNull().unique())
    .addColumn("conversation_id", "text", (column) => column.notNull().references("conversations.id").onDelete("cascade"))
    .addColumn("position", "integer", (column) => column.notNull())
    .addColumn("task", "text", (column) => column.notNull())
    .addColumn("answer", "text", (column) => column.notNull())
    .addColumn("thoughts", "text", (column) => column.notNull())
    .addColumn("status", "text", (column) => column.notNull())
    .addColumn("provider", "text")
    .addColumn("model", "text")
    .addColumn("depth", "text")
    .addColumn("finish_reason", "text")
    .addColumn("error_code", "text")
    .addColumn("error_message", "text")
    .addColumn("input_tokens", "integer")
    .addColumn("output_tokens", "integer")
    .addColumn("total_tokens", "integer")
    .addColumn("first_token_ms", "integer")
    .addColumn("duration_ms", "integer")
    .addColumn("created_at", "text", (column) => column.notNull())
    .addColumn("updated_at", "text", (column) => column.notNull())
    .addUniqueConstraint("turns_conversation_position", ["conversation_id", "position"])
    .execute();

  await db.schema
    .createTable("shares")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("conversation_id", "text", (column) => column.notNull().references("conversations.id").onDelete("cascade"))
    .addColumn("token_hash", "text", (column) => column.notNull().unique())
    .addColumn("created_at", "text", (column) => column.notNull())
    .addColumn("revoked_at", "text")
    .execute();
  await db.schema.createIndex("shares_conversation").on("shares").column("conversation_id").execute();
}

/**
 * An FTS5 index over the turns' tasks and answers that reads its text from `turns` (external
 * content), kept in step by triggers, so an answer written as it streams is findable at once.
 */
async function createSqliteSearch(db: AnyDatabase) {
  await sql`create virtual table turns_search using fts5(task, answer, content='turns', content_rowid='seq', tokenize='unicode61 remove_diacritics 2')`.execute(db);
  await sql`create trigger turns_search_insert after insert on turns begin
    insert into turns_search(rowid, task, answer) values (new.seq, new.task, new.answer);
  end`.execute(db);
  await sql`create trigger turns_search_delete after delete on turns begin
    insert into turns_search(turns_search, rowid, task, answer) values ('delete', old.seq, old.task, old.answer);
  end`.execute(db);
  await sql`create trigger turns_search_update after update of task, answer on turns begin
    insert into turns_search(turns_search, rowid, task, answer) values ('delete', old.seq, old.task, old.answer);
    insert into turns_search(rowid, task, answer) values (new.seq, new.task, new.answer);
  end`.execute(db);
}

/** A generated `tsvector` ('simple': no stemming, so a prefix typed is a prefix found) and its GIN index. */
async function createPostgresSearch(db: AnyDatabase) {
  await sql`alter table turns add column search tsvector generated always as (to_tsvector('simple', task || ' ' || answer)) stored`.execute(db);
  await sql`create index turns_search_index on turns using gin (search)`.execute(db);
}
