import "server-only";
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

/**
 * The history's tables, as Kysely sees them: one schema on SQLite and PostgreSQL (the migrations in
 * migrations.ts make it). Times are ISO 8601 strings in UTC, which sort as they read on both.
 */
export interface HistoryDatabase {
  conversations: ConversationsTable;
  turns: TurnsTable;
  images: ImagesTable;
  shares: SharesTable;
  auth_user: AuthUserTable;
  auth_session: AuthSessionTable;
  api_tokens: ApiTokensTable;
  invitations: InvitationsTable;
  usage: UsageTable;
}

export interface ConversationsTable {
  id: string;
  /** Who may see it: "local" until accounts exist (the sign-in issue), then the account's id. */
  owner_id: string;
  title: string;
  /** The image every turn is about; null once retention has deleted it. */
  image_hash: string | null;
  created_at: string;
  updated_at: string;
}

export interface TurnsTable {
  /** The search index's key (SQLite's FTS5 needs an integer one that VACUUM keeps). */
  seq: Generated<number>;
  id: string;
  conversation_id: string;
  /** 0 for the first question, then 1, 2…: the order of the conversation. */
  position: number;
  task: string;
  answer: string;
  thoughts: string;
  status: string;
  provider: string | null;
  model: string | null;
  depth: string | null;
  finish_reason: string | null;
  error_code: string | null;
  error_message: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  first_token_ms: number | null;
  duration_ms: number | null;
  created_at: string;
  updated_at: string;
}

export interface ImagesTable {
  /** SHA-256 of the prepared image's bytes: the same diagram is stored once. */
  hash: string;
  mime_type: string;
  width: number;
  height: number;
  bytes: number;
  data: Buffer;
  /** A small JPEG for the history list, made on first request. */
  thumbnail: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
  created_at: string;
}

export interface SharesTable {
  id: string;
  conversation_id: string;
  /** SHA-256 of the link's token: the database never holds a working link. */
  token_hash: string;
  created_at: string;
  revoked_at: string | null;
  /** "team" (signed-in members) or "public" (anyone with the link, when SHARE_PUBLIC allows). */
  visibility: ColumnType<string, string | undefined, string>;
}

/**
 * better-auth's user table (lib/auth/better-auth.ts names it), as this app's own queries read it:
 * the admin page, proxy-mode accounts. better-auth writes it; dates are its Date values.
 */
export interface AuthUserTable {
  id: string;
  name: string;
  email: string;
  emailVerified: ColumnType<boolean | number, boolean | number, boolean | number>;
  image: string | null;
  createdAt: ColumnType<Date | string, Date | string, Date | string>;
  updatedAt: ColumnType<Date | string, Date | string, Date | string>;
  role: string | null;
  banned: ColumnType<boolean | number | null, boolean | number | null | undefined, boolean | number | null>;
  banReason: string | null;
  banExpires: ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>;
}

export interface AuthSessionTable {
  id: string;
  userId: string;
  token: string;
  expiresAt: ColumnType<Date | string, Date | string, Date | string>;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  hint: string;
  created_at: string;
  last_used_at: string | null;
}

export interface InvitationsTable {
  id: string;
  token_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: string | null;
}

export interface UsageTable {
  id: string;
  owner_id: string;
  provider: string;
  model: string | null;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  created_at: string;
}

export type ConversationRow = Selectable<ConversationsTable>;
export type TurnRow = Selectable<TurnsTable>;
export type NewTurn = Insertable<TurnsTable>;
export type TurnUpdate = Updateable<TurnsTable>;
export type ImageRow = Selectable<ImagesTable>;
