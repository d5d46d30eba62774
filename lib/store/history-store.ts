import "server-only";
import { createHash, randomBytes } from "node:crypto";
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from "kysely";
import type { HistoryDialect } from "@/lib/store/migrations";
import type { HistoryDatabase, ImageRow, TurnRow, TurnUpdate } from "@/lib/store/schema";
import { containsPattern, postgresTsQuery, searchWords, sqliteMatchQuery } from "@/lib/store/search-query";
import {
  CONVERSATIONS_PAGE_SIZE,
  MAX_TITLE_CHARS,
  type Conversation,
  type ConversationList,
  type ConversationSummary,
  type SharedConversation,
  type ShareVisibility,
  type StoredImage,
  type StoredTurn,
  type TurnStatus,
} from "@/lib/shared/history-contract";
import type { ConversationTurn, FinishReason, ProviderId, TokenUsage } from "@/lib/shared/providers";
import type { ThinkingDepth } from "@/lib/shared/thinking";

/** The image a conversation is about, as kept: content-addressed by the SHA-256 of its bytes. */
export interface ImageToKeep extends StoredImage {
  hash: string;
  data: Buffer;
}

export interface TurnStart {
  ownerId: string;
  task: string;
  provider: ProviderId;
  model: string;
  depth: ThinkingDepth | undefined;
}

/** A new conversation's first turn (and, from a page that asked before it was saved, earlier ones). */
export interface NewConversationStart extends TurnStart {
  image: ImageToKeep;
  earlierTurns: ConversationTurn[];
}

/** A turn of a saved conversation: the next one, or one answered again (and those after it dropped). */
export interface FollowUpStart extends TurnStart {
  conversationId: string;
  replaceTurnId: string | undefined;
}

/** What a turn has got so far, written as it streams and when it ends. */
export interface TurnProgress {
  answer: string;
  thoughts: string;
  status: TurnStatus;
  finishReason?: FinishReason;
  errorCode?: string;
  errorMessage?: string;
  usage?: TokenUsage;
  firstTokenMs?: number;
  durationMs?: number;
}

/** A saved conversation as a follow-up needs it: the image to read and the turns before. */
export interface FollowUpContext {
  imageHash: string | null;
  history: ConversationTurn[];
}

export interface ImageBytes {
  data: Buffer;
  mimeType: string;
}

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
}

/**
 * Every query of the history, the one place that knows its tables. Every read and change of a
 * conversation names its owner, so another owner's id finds nothing, the same as an unknown one.
 */
/** Who opens a share link: a signed-in member of the team, or anyone (signed out). */
export type ShareReader = "member" | "anyone";

export class HistoryStore {
  constructor(
    readonly db: Kysely<HistoryDatabase>,
    readonly dialect: HistoryDialect,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private timestamp(): string {
    return this.now().toISOString();
  }

  async startConversation(start: NewConversationStart): Promise<{ conversationId: string; turnId: string }> {
    const at = this.timestamp();
    const conversationId = newId();
    const turnId = newId();
    await this.db.transaction().execute(async (trx) => {
      const { image } = start;
      await trx
        .insertInto("images")
        .values({ hash: image.hash, mime_type: image.mimeType, width: image.width, height: image.height, bytes: image.bytes, data: image.data, created_at: at })
        .onConflict((conflict) => conflict.column("hash").doNothing())
        .execute();
      const title = titleFrom(start.earlierTurns[0]?.task ?? start.task);
      await trx
        .insertInto("conversations")
        .values({ id: conversationId, owner_id: start.ownerId, title, image_hash: image.hash, created_at: at, updated_at: at })
        .execute();
      const earlier = start.earlierTurns.map((turn, position) => ({
        ...emptyTurn(conversationId, position, turn.task, at),
        id: newId(),
        answer: turn.answer,
        status: "complete",
      }));
      if (earlier.length) await trx.insertInto("turns").values(earlier).execute();
      await trx.insertInto("turns").values(turnRow(turnId, conversationId, earlier.length, start, at)).execute();
    });
    return { conversationId, turnId };
  }

  /** Undefined when the conversation (or the turn to replace) is not the owner's. */
  async startFollowUp(start: FollowUpStart): Promise<{ conversationId: string; turnId: string } | undefined> {
    const at = this.timestamp();
    const turnId = newId();
    const started = await this.db.transaction().execute(async (trx) => {
      if (!(await ownedConversation(trx, start.ownerId, start.conversationId))) return false;
      let position: number;
      if (start.replaceTurnId) {
        const replaced = await turnPosition(trx, start.conversationId, start.replaceTurnId);
        if (replaced === undefined) return false;
        position = replaced;
        await trx.deleteFrom("turns").where("conversation_id", "=", start.conversationId).where("position", ">=", position).execute();
      } else {
        const last = await trx
          .selectFrom("turns")
          .select((eb) => eb.fn.max("position").as("position"))
          .where("conversation_id", "=", start.conversationId)
          .executeTakeFirst();
        position = last?.position === null || last?.position === undefined ? 0 : Number(last.position) + 1;
      }
      await trx.insertInto("turns").values(turnRow(turnId, start.conversationId, position, start, at)).execute();
      await trx.updateTable("conversations").set({ updated_at: at }).where("id", "=", start.conversationId).execute();
      return true;
    });
    return started ? { conversationId: start.conversationId, turnId } : undefined;
  }

  async recordTurn(turnId: string, progress: TurnProgress): Promise<void> {
    const update: TurnUpdate = {
      answer: progress.answer,
      thoughts: progress.thoughts,
      status: progress.status,
      finish_reason: progress.finishReason ?? null,
      error_code: progress.errorCode ?? null,
      error_message: progress.errorMessage ?? null,
      input_tokens: progress.usage?.inputTokens ?? null,
      output_tokens: progress.usage?.outputTokens ?? null,
      total_tokens: progress.usage?.totalTokens ?? null,
      first_token_ms: progress.firstTokenMs ?? null,
      duration_ms: progress.durationMs ?? null,
      updated_at: this.timestamp(),
    };
    await this.db.updateTable("turns").set(update).where("id", "=", turnId).execute();
  }

  /** The image and earlier turns a follow-up needs; undefined when the conversation is not the owner's. */
  async followUpContext(ownerId: string, conversationId: string, replaceTurnId: string | undefined): Promise<FollowUpContext | undefined> {
    const conversation = await ownedConversation(this.db, ownerId, conversationId);
    if (!conversation) return undefined;
    let turns = this.db
      .selectFrom("turns")
      .select(["task", "answer"])
      .where("conversation_id", "=", conversationId)
      .orderBy("position");
    if (replaceTurnId) {
      const replaced = await turnPosition(this.db, conversationId, replaceTurnId);
      if (replaced === undefined) return undefined;
      turns = turns.where("position", "<", replaced);
    }
    const history = (await turns.execute()).filter((turn) => turn.answer.trim());
    return { imageHash: conversation.image_hash, history };
  }

  async imageByHash(hash: string): Promise<ImageRow | undefined> {
    return this.db.selectFrom("images").selectAll().where("hash", "=", hash).executeTakeFirst();
  }

  /** The owner's conversation's image, or its thumbnail (undefined when none is made yet). */
  async conversationImage(ownerId: string, conversationId: string): Promise<ImageRow | undefined> {
    return this.db
      .selectFrom("images")
      .innerJoin("conversations", "conversations.image_hash", "images.hash")
      .selectAll("images")
      .where("conversations.id", "=", conversationId)
      .where("conversations.owner_id", "=", ownerId)
      .executeTakeFirst();
  }

  async saveThumbnail(hash: string, thumbnail: Buffer): Promise<void> {
    await this.db.updateTable("images").set({ thumbnail }).where("hash", "=", hash).execute();
  }

  async listConversations(ownerId: string, { query, cursor, limit = CONVERSATIONS_PAGE_SIZE }: { query?: string; cursor?: string; limit?: number }): Promise<ConversationList> {
    let select = this.summaries().where("c.owner_id", "=", ownerId);
    const text = query?.trim();
    if (text) select = select.where((eb) => this.matches(eb, text));
    if (cursor) {
      const [updatedAt, id] = decodeCursor(cursor);
      select = select.where((eb) => eb.or([eb("c.updated_at", "<", updatedAt), eb.and([eb("c.updated_at", "=", updatedAt), eb("c.id", "<", id)])]));
    }
    const rows = await select.orderBy("c.updated_at", "desc").orderBy("c.id", "desc").limit(limit + 1).execute();
    const page = rows.slice(0, limit).map(toSummary);
    const last = page.at(-1);
    return { conversations: page, nextCursor: rows.length > limit && last ? encodeCursor(last.updatedAt, last.id) : null };
  }

  async getConversation(ownerId: string, conversationId: string): Promise<Conversation | undefined> {
    const row = await this.summaries().where("c.owner_id", "=", ownerId).where("c.id", "=", conversationId).executeTakeFirst();
    if (!row) return undefined;
    const [image, turns] = await Promise.all([this.imageMeta(row.image_hash), this.turnsOf(conversationId)]);
    return { ...toSummary(row), image, turns };
  }

  async renameConversation(ownerId: string, conversationId: string, title: string): Promise<ConversationSummary | undefined> {
    const result = await this.db
      .updateTable("conversations")
      .set({ title })
      .where("id", "=", conversationId)
      .where("owner_id", "=", ownerId)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return undefined;
    const row = await this.summaries().where("c.id", "=", conversationId).executeTakeFirst();
    return row && toSummary(row);
  }

  /** Deletes the conversation, its turns and share links, and its image when nothing else uses it. */
  async deleteConversation(ownerId: string, conversationId: string): Promise<boolean> {
    const result = await this.db.deleteFrom("conversations").where("id", "=", conversationId).where("owner_id", "=", ownerId).executeTakeFirst();
    await this.deleteOrphanImages();
    return Number(result.numDeletedRows) > 0;
  }

  async deleteAllConversations(ownerId: string): Promise<number> {
    const result = await this.db.deleteFrom("conversations").where("owner_id", "=", ownerId).executeTakeFirst();
    await this.deleteOrphanImages();
    return Number(result.numDeletedRows);
  }

  /** Retention: conversations untouched since `before`, with their images when no longer used. */
  async deleteConversationsUpdatedBefore(before: Date): Promise<{ conversations: number; images: number }> {
    const result = await this.db.deleteFrom("conversations").where("updated_at", "<", before.toISOString()).executeTakeFirst();
    const images = await this.deleteOrphanImages();
    return { conversations: Number(result.numDeletedRows), images };
  }

  async deleteOrphanImages(): Promise<number> {
    const result = await this.db
      .deleteFrom("images")
      .where((eb) => eb.not(eb.exists(eb.selectFrom("conversations").select("conversations.id").whereRef("conversations.image_hash", "=", "images.hash"))))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** A new link to the owner's conversation: the token is returned once and kept only as its hash. */
  async createShare(ownerId: string, conversationId: string, visibility: ShareVisibility = "team"): Promise<string | undefined> {
    if (!(await ownedConversation(this.db, ownerId, conversationId))) return undefined;
    const token = randomBytes(32).toString("base64url");
    await this.db
      .insertInto("shares")
      .values({ id: newId(), conversation_id: conversationId, token_hash: hashToken(token), created_at: this.timestamp(), revoked_at: null, visibility })
      .execute();
    return token;
  }

  /** Revokes every live link to the owner's conversation; false when it is not the owner's. */
  async revokeShares(ownerId: string, conversationId: string): Promise<boolean> {
    if (!(await ownedConversation(this.db, ownerId, conversationId))) return false;
    await this.db.updateTable("shares").set({ revoked_at: this.timestamp() }).where("conversation_id", "=", conversationId).where("revoked_at", "is", null).execute();
    return true;
  }

  /**
   * The conversation a live link points to, for a reader who is a signed-in member or anyone (a
   * team link is not found for anyone); undefined for an unknown, wrong or revoked token.
   */
  async sharedConversationId(token: string, reader: ShareReader = "member"): Promise<string | undefined> {
    let query = this.db.selectFrom("shares").select("conversation_id").where("token_hash", "=", hashToken(token)).where("revoked_at", "is", null);
    if (reader === "anyone") query = query.where("visibility", "=", "public");
    const share = await query.executeTakeFirst();
    return share?.conversation_id;
  }

  async sharedConversation(token: string, reader: ShareReader = "member"): Promise<SharedConversation | undefined> {
    const conversationId = await this.sharedConversationId(token, reader);
    if (!conversationId) return undefined;
    const row = await this.db.selectFrom("conversations").selectAll().where("id", "=", conversationId).executeTakeFirst();
    if (!row) return undefined;
    const [image, turns] = await Promise.all([this.imageMeta(row.image_hash), this.turnsOf(conversationId)]);
    return { title: row.title, createdAt: row.created_at, updatedAt: row.updated_at, image, turns: turns.map(withoutId) };
  }

  async sharedImage(token: string, reader: ShareReader = "member"): Promise<ImageRow | undefined> {
    const conversationId = await this.sharedConversationId(token, reader);
    if (!conversationId) return undefined;
    return this.db
      .selectFrom("images")
      .innerJoin("conversations", "conversations.image_hash", "images.hash")
      .selectAll("images")
      .where("conversations.id", "=", conversationId)
      .executeTakeFirst();
  }

  /** Whether the database answers: for the health check. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  private summaries() {
    return this.db
      .selectFrom("conversations as c")
      .select(["c.id", "c.title", "c.image_hash", "c.created_at", "c.updated_at"])
      .select((eb) => [
        eb.selectFrom("turns").select(eb.fn.countAll().as("count")).whereRef("turns.conversation_id", "=", "c.id").as("turn_count"),
        eb
          .exists(eb.selectFrom("shares").select("shares.id").whereRef("shares.conversation_id", "=", "c.id").where("shares.revoked_at", "is", null))
          .as("shared"),
      ]);
  }

  /** Conversations whose turns hold every word typed (as prefixes), or whose title holds the text. */
  private matches(eb: ExpressionBuilder<HistoryDatabase & { c: HistoryDatabase["conversations"] }, "c">, text: string): Expression<SqlBool> {
    const pattern = containsPattern(text);
    const inTitle =
      this.dialect === "postgres" ? sql<SqlBool>`c.title ilike ${pattern} escape '\\'` : sql<SqlBool>`c.title like ${pattern} escape '\\'`;
    const words = searchWords(text);
    if (!words.length) return inTitle;
    // Correlated: the list walks conversations newest first and stops at a page, checking each one's
    // turns against the index. A common word then costs a page's worth of checks rather than every
    // match sorted (bench/results/history.md).
    const turnMatches =
      this.dialect === "postgres"
        ? sql<SqlBool>`turns.search @@ to_tsquery('simple', ${postgresTsQuery(words)})`
        : sql<SqlBool>`turns.seq in (select rowid from turns_search where turns_search match ${sqliteMatchQuery(words)})`;
    const matchingTurn = eb.selectFrom("turns").select("turns.seq").whereRef("turns.conversation_id", "=", "c.id").where(turnMatches);
    return eb.or([inTitle, eb.exists(matchingTurn)]);
  }

  private async imageMeta(hash: string | null): Promise<StoredImage | null> {
    if (!hash) return null;
    const image = await this.db.selectFrom("images").select(["width", "height", "bytes", "mime_type"]).where("hash", "=", hash).executeTakeFirst();
    return image ? { width: image.width, height: image.height, bytes: image.bytes, mimeType: image.mime_type } : null;
  }

  private async turnsOf(conversationId: string): Promise<StoredTurn[]> {
    const rows = await this.db.selectFrom("turns").selectAll().where("conversation_id", "=", conversationId).orderBy("position").execute();
    return rows.map(toStoredTurn);
  }
}

/** The owner's conversation (its image's hash), or undefined: someone else's is as unknown. */
function ownedConversation(db: Kysely<HistoryDatabase>, ownerId: string, conversationId: string) {
  return db.selectFrom("conversations").select(["id", "image_hash"]).where("id", "=", conversationId).where("owner_id", "=", ownerId).executeTakeFirst();
}

/** Where a turn sits in its conversation; undefined when it is not that conversation's. */
async function turnPosition(db: Kysely<HistoryDatabase>, conversationId: string, turnId: string): Promise<number | undefined> {
  const turn = await db.selectFrom("turns").select("position").where("id", "=", turnId).where("conversation_id", "=", conversationId).executeTakeFirst();
  return turn?.position;
}

/** A shared turn names nothing a reader could act on. */
function withoutId({ id, ...turn }: StoredTurn): Omit<StoredTurn, "id"> {
  void id;
  return turn;
}

function newId(): string {
  return randomBytes(16).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}

/** A conversation's first title: its first task on one line, shortened to fit. */
export function titleFrom(task: string): string {
  const line = task.replace(/\s+/g, " ").trim();
  return line.length > MAX_TITLE_CHARS ? `${line.slice(0, MAX_TITLE_CHARS - 1).trimEnd()}…` : line;
}

function emptyTurn(conversationId: string, position: number, task: string, at: string) {
  return {
    conversation_id: conversationId,
    position,
    task,
    answer: "",
    thoughts: "",
    status: "incomplete",
    provider: null,
    model: null,
    depth: null,
    finish_reason: null,
    error_code: null,
    error_message: null,
    input_tokens: null,
    output_tokens: null,
    total_tokens: null,
    first_token_ms: null,
    duration_ms: null,
    created_at: at,
    updated_at: at,
  };
}

/** A turn as it starts: no answer yet, `incomplete` until it ends (so a server that dies leaves that). */
function turnRow(id: string, conversationId: string, position: number, start: TurnStart, at: string) {
  return { ...emptyTurn(conversationId, position, start.task, at), id, provider: start.provider, model: start.model, depth: start.depth ?? null };
}

interface SummaryRow {
  id: string;
  title: string;
  created_at: string;
  updated_at: string;
  turn_count: string | number | bigint | null;
  shared: unknown;
}

function toSummary(row: SummaryRow): ConversationSummary {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    // PostgreSQL counts in bigint, which pg reads as a string; SQLite's EXISTS is 0 or 1.
    turnCount: Number(row.turn_count ?? 0),
    shared: row.shared === true || row.shared === 1,
  };
}

function toStoredTurn(row: TurnRow): StoredTurn {
  const usage =
    row.input_tokens === null && row.output_tokens === null && row.total_tokens === null
      ? null
      : {
          ...(row.input_tokens === null ? {} : { inputTokens: row.input_tokens }),
          ...(row.output_tokens === null ? {} : { outputTokens: row.output_tokens }),
          ...(row.total_tokens === null ? {} : { totalTokens: row.total_tokens }),
        };
  return {
    id: row.id,
    task: row.task,
    answer: row.answer,
    thoughts: row.thoughts,
    status: row.status as TurnStatus,
    provider: row.provider as ProviderId | null,
    model: row.model,
    depth: row.depth as ThinkingDepth | null,
    finishReason: row.finish_reason as FinishReason | null,
    errorCode: row.error_code,
    errorMessage: row.error_message,
    usage,
    createdAt: row.created_at,
    firstTokenMs: row.first_token_ms,
    durationMs: row.duration_ms,
  };
}

function encodeCursor(updatedAt: string, id: string): string {
  return Buffer.from(JSON.stringify([updatedAt, id])).toString("base64url");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === "string" && part.length <= 64)) {
      return [value[0], value[1]];
    }
  } catch {
    // falls through to the error below
  }
  throw new InvalidCursorError("The cursor is not one this server gave out.");
}
