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
    "0003_accounts": { up: (db) => createAccountTables(db, dialect) },
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

/**
 * Sign-in (lib/auth): better-auth's own tables under our names (lib/auth/better-auth.ts maps
 * them), with the admin plugin's columns; then this app's: personal API tokens, invitations,
 * usage per turn, and who may open a share link. tests/store/migrations.test.ts checks against
 * better-auth's own migration planner that its tables are complete, on both databases.
 */
async function createAccountTables(db: AnyDatabase, dialect: HistoryDialect) {
  const bool = dialect === "sqlite" ? "integer" : "boolean";
  const date = dialect === "sqlite" ? "date" : "timestamptz";
  await db.schema
    .createTable("auth_user")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("name", "text", (column) => column.notNull())
    .addColumn("email", "text", (column) => column.notNull().unique())
    .addColumn("emailVerified", bool, (column) => column.notNull())
    .addColumn("image", "text")
    .addColumn("createdAt", date, (column) => column.notNull())
    .addColumn("updatedAt", date, (column) => column.notNull())
    .addColumn("role", "text")
    .addColumn("banned", bool)
    .addColumn("banReason", "text")
    .addColumn("banExpires", date)
    .execute();
  await db.schema
    .createTable("auth_session")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("expiresAt", date, (column) => column.notNull())
    .addColumn("token", "text", (column) => column.notNull().unique())
    .addColumn("createdAt", date, (column) => column.notNull())
    .addColumn("updatedAt", date, (column) => column.notNull())
    .addColumn("ipAddress", "text")
    .addColumn("userAgent", "text")
    .addColumn("userId", "text", (column) => column.notNull().references("auth_user.id").onDelete("cascade"))
    .addColumn("impersonatedBy", "text")
    .execute();
  await db.schema.createIndex("auth_session_userId_idx").on("auth_session").column("userId").execute();
  await db.schema
    .createTable("auth_account")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("accountId", "text", (column) => column.notNull())
    .addColumn("providerId", "text", (column) => column.notNull())
    .addColumn("userId", "text", (column) => column.notNull().references("auth_user.id").onDelete("cascade"))
    .addColumn("accessToken", "text")
    .addColumn("refreshToken", "text")
    .addColumn("idToken", "text")
    .addColumn("accessTokenExpiresAt", date)
    .addColumn("refreshTokenExpiresAt", date)
    .addColumn("scope", "text")
    .addColumn("password", "text")
    .addColumn("createdAt", date, (column) => column.notNull())
    .addColumn("updatedAt", date, (column) => column.notNull())
    .execute();
  await db.schema.createIndex("auth_account_userId_idx").on("auth_account").column("userId").execute();
  await db.schema
    .createTable("auth_verification")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("identifier", "text", (column) => column.notNull())
    .addColumn("value", "text", (column) => column.notNull())
    .addColumn("expiresAt", date, (column) => column.notNull())
    .addColumn("createdAt", date, (column) => column.notNull())
    .addColumn("updatedAt", date, (column) => column.notNull())
    .execute();
  await db.schema.createIndex("auth_verification_identifier_idx").on("auth_verification").column("identifier").execute();

  await db.schema
    .createTable("api_tokens")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("user_id", "text", (column) => column.notNull().references("auth_user.id").onDelete("cascade"))
    .addColumn("name", "text", (column) => column.notNull())
    // SHA-256 of the token: the database never holds a working one.
    .addColumn("token_hash", "text", (column) => column.notNull().unique())
    // The token's last characters, so a person can tell their tokens apart.
    .addColumn("hint", "text", (column) => column.notNull())
    .addColumn("created_at", "text", (column) => column.notNull())
    .addColumn("last_used_at", "text")
    .execute();
  await db.schema.createIndex("api_tokens_user").on("api_tokens").column("user_id").execute();

  await db.schema
    .createTable("invitations")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("token_hash", "text", (column) => column.notNull().unique())
    .addColumn("created_by", "text", (column) => column.notNull())
    .addColumn("created_at", "text", (column) => column.notNull())
    .addColumn("expires_at", "text", (column) => column.notNull())
    .addColumn("used_at", "text")
    .addColumn("used_by", "text")
    .execute();

  // One row per finished turn, kept when the conversation is deleted: usage is a record of what
  // was spent, not part of the history.
  await db.schema
    .createTable("usage")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("owner_id", "text", (column) => column.notNull())
    .addColumn("provider", "text", (column) => column.notNull())
    .addColumn("model", "text")
    .addColumn("input_tokens", "integer", (column) => column.notNull())
    .addColumn("output_tokens", "integer", (column) => column.notNull())
    .addColumn("total_tokens", "integer", (column) => column.notNull())
    .addColumn("created_at", "text", (column) => column.notNull())
    .execute();
  await db.schema.createIndex("usage_created").on("usage").columns(["created_at", "owner_id"]).execute();
  await db.schema.createIndex("usage_owner_created").on("usage").columns(["owner_id", "created_at"]).execute();

  // Team: signed-in members only. Public: anyone with the link (only when SHARE_PUBLIC allows it).
  await db.schema.alterTable("shares").addColumn("visibility", "text", (column) => column.notNull().defaultTo("team")).execute();
}
