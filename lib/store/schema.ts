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
}

export type ConversationRow = Selectable<ConversationsTable>;
export type TurnRow = Selectable<TurnsTable>;
export type NewTurn = Insertable<TurnsTable>;
export type TurnUpdate = Updateable<TurnsTable>;
export type ImageRow = Selectable<ImagesTable>;
