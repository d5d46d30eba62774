import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Role } from "@/lib/shared/auth";
import type { HistoryDatabase } from "@/lib/store/schema";

/**
 * The accounts' queries that are this app's own, beside better-auth's (lib/auth/better-auth.ts):
 * proxy-mode accounts, personal API tokens, invitations, usage, and the admin's view of members
 * and share links. Every query that reads or changes a person's things names the person.
 */

export interface AccountUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  banned: boolean;
}

export interface ApiTokenSummary {
  id: string;
  name: string;
  /** The token's last characters. */
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface UsageRow {
  ownerId: string;
  provider: string;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface UsageTotals {
  analyses: number;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface MemberUsage extends UsageTotals {
  id: string;
  email: string;
  name: string;
  role: Role;
  disabled: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface ProviderUsage extends UsageTotals {
  provider: string;
}

export interface ShareSummary {
  id: string;
  conversationId: string;
  title: string;
  ownerId: string;
  ownerEmail: string | null;
  visibility: string;
  createdAt: string;
}

/** A token's last use is written at most this often: one write per request would be wasteful. */
const TOKEN_TOUCH_INTERVAL_MS = 60_000;

export class AccountStore {
  constructor(private readonly db: Kysely<HistoryDatabase>) {}

  /**
   * The account a trusted proxy vouches for, made on first sight. The role follows AUTH_ADMINS as
   * it is now; disabling is the admin's and stays.
   */
  async proxyUser(email: string, role: Role): Promise<AccountUser> {
    const found = await this.userByEmail(email);
    if (found) {
      if (found.role !== role) {
        await this.db.updateTable("auth_user").set({ role, updatedAt: new Date().toISOString() }).where("id", "=", found.id).execute();
      }
      return { ...found, role };
    }
    const now = new Date().toISOString();
    const id = randomUUID();
    const name = email.slice(0, email.indexOf("@"));
    // Two first requests at once: the unique e-mail makes one insert win; the other reads it.
    await this.db
      .insertInto("auth_user")
      .values({ id, email, name, emailVerified: 1, role, banned: 0, createdAt: now, updatedAt: now })
      .onConflict((conflict) => conflict.column("email").doNothing())
      .execute();
    return (await this.userByEmail(email))!;
  }

  async userByEmail(email: string): Promise<AccountUser | undefined> {
    const row = await this.db.selectFrom("auth_user").select(["id", "email", "name", "role", "banned"]).where("email", "=", email).executeTakeFirst();
    return row && toUser(row);
  }

  async userById(id: string): Promise<AccountUser | undefined> {
    const row = await this.db.selectFrom("auth_user").select(["id", "email", "name", "role", "banned"]).where("id", "=", id).executeTakeFirst();
    return row && toUser(row);
  }

  async countUsers(): Promise<number> {
    const row = await this.db.selectFrom("auth_user").select((eb) => eb.fn.countAll<number | string>().as("count")).executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /** Signs a person out everywhere: every session of theirs ends. */
  async endSessions(userId: string): Promise<void> {
    await this.db.deleteFrom("auth_session").where("userId", "=", userId).execute();
  }

  /** Disables (or enables again) a member; disabling ends their sessions at once. */
  async setDisabled(userId: string, disabled: boolean): Promise<boolean> {
    const result = await this.db
      .updateTable("auth_user")
      .set({ banned: disabled ? 1 : 0, updatedAt: new Date().toISOString() })
      .where("id", "=", userId)
      .executeTakeFirst();
    if (disabled) await this.endSessions(userId);
    return Number(result.numUpdatedRows) > 0;
  }

  // Personal API tokens.

  /** A new token: the only time its text exists outside the person's hands. */
  async createToken(userId: string, name: string, prefix: string, hash: (token: string) => string): Promise<{ token: string; summary: ApiTokenSummary }> {
    const token = `${prefix}${randomBytes(32).toString("base64url")}`;
    const summary: ApiTokenSummary = { id: randomUUID(), name, hint: token.slice(-4), createdAt: new Date().toISOString(), lastUsedAt: null };
    await this.db
      .insertInto("api_tokens")
      .values({ id: summary.id, user_id: userId, name, token_hash: hash(token), hint: summary.hint, created_at: summary.createdAt, last_used_at: null })
      .execute();
    return { token, summary };
  }

  async listTokens(userId: string): Promise<ApiTokenSummary[]> {
    const rows = await this.db.selectFrom("api_tokens").selectAll().where("user_id", "=", userId).orderBy("created_at", "desc").execute();
    return rows.map((row) => ({ id: row.id, name: row.name, hint: row.hint, createdAt: row.created_at, lastUsedAt: row.last_used_at }));
  }

  /** Revokes one of the person's tokens; false when it is not theirs (or not at all). */
  async deleteToken(userId: string, tokenId: string): Promise<boolean> {
    const result = await this.db.deleteFrom("api_tokens").where("id", "=", tokenId).where("user_id", "=", userId).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async userForToken(tokenHash: string): Promise<AccountUser | undefined> {
    const row = await this.db
      .selectFrom("api_tokens")
      .innerJoin("auth_user", "auth_user.id", "api_tokens.user_id")
      .select(["auth_user.id", "auth_user.email", "auth_user.name", "auth_user.role", "auth_user.banned", "api_tokens.id as tokenId", "api_tokens.last_used_at"])
      .where("api_tokens.token_hash", "=", tokenHash)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = new Date();
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > TOKEN_TOUCH_INTERVAL_MS) {
      await this.db.updateTable("api_tokens").set({ last_used_at: now.toISOString() }).where("id", "=", row.tokenId).execute();
    }
    return toUser(row);
  }

  // Invitations (password mode).

  async createInvitation(createdBy: string, tokenHash: string, expiresAt: Date): Promise<string> {
    const id = randomUUID();
    await this.db
      .insertInto("invitations")
      .values({ id, token_hash: tokenHash, created_by: createdBy, created_at: new Date().toISOString(), expires_at: expiresAt.toISOString(), used_at: null, used_by: null })
      .execute();
    return id;
  }

  /** Whether an invitation can still be used (unknown, used and expired ones cannot). */
  async invitationOpen(tokenHash: string): Promise<boolean> {
    const row = await this.db.selectFrom("invitations").select(["used_at", "expires_at"]).where("token_hash", "=", tokenHash).executeTakeFirst();
    return !!row && !row.used_at && Date.parse(row.expires_at) > Date.now();
  }

  /**
   * Takes an invitation for one new account, or the first-account place when `tokenHash` is the
   * first account's marker: the update succeeds for exactly one of two people racing for it.
   */
  async claimInvitation(tokenHash: string, by: string): Promise<boolean> {
    const now = new Date().toISOString();
    const result = await this.db
      .updateTable("invitations")
      .set({ used_at: now, used_by: by })
      .where("token_hash", "=", tokenHash)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Gives an invitation back when the account it was taken for could not be made. */
  async releaseInvitation(tokenHash: string): Promise<void> {
    await this.db.updateTable("invitations").set({ used_at: null, used_by: null }).where("token_hash", "=", tokenHash).execute();
  }

  /**
   * The first account's place, as an invitation row that only the first claim takes: two people
   * opening a new server at once cannot both become its admin.
   */
  async claimFirstAccount(marker: string, by: string): Promise<boolean> {
    if ((await this.countUsers()) > 0) return false;
    const now = new Date().toISOString();
    const inserted = await this.db
      .insertInto("invitations")
      .values({ id: randomUUID(), token_hash: marker, created_by: "first-account", created_at: now, expires_at: now, used_at: now, used_by: by })
      .onConflict((conflict) => conflict.column("token_hash").doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async releaseFirstAccount(marker: string): Promise<void> {
    await this.db.deleteFrom("invitations").where("token_hash", "=", marker).execute();
  }

  // Usage.

  async recordUsage(usage: UsageRow): Promise<void> {
    await this.db
      .insertInto("usage")
      .values({
        id: randomUUID(),
        owner_id: usage.ownerId,
        provider: usage.provider,
        model: usage.model,
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        total_tokens: usage.totalTokens,
        created_at: new Date().toISOString(),
      })
      .execute();
  }

  /** One person's usage since a time, per provider. */
  async usageOf(ownerId: string, since: Date): Promise<ProviderUsage[]> {
    const rows = await this.db
      .selectFrom("usage")
      .select(["provider", ...totals()])
      .where("owner_id", "=", ownerId)
      .where("created_at", ">=", since.toISOString())
      .groupBy("provider")
      .orderBy("provider")
      .execute();
    return rows.map((row) => ({ provider: row.provider, ...toTotals(row) }));
  }

  /** Every provider's usage since a time. */
  async usageByProvider(since: Date): Promise<ProviderUsage[]> {
    const rows = await this.db
      .selectFrom("usage")
      .select(["provider", ...totals()])
      .where("created_at", ">=", since.toISOString())
      .groupBy("provider")
      .orderBy("provider")
      .execute();
    return rows.map((row) => ({ provider: row.provider, ...toTotals(row) }));
  }

  /** Every member, with their usage since a time and their last use ever. */
  async members(since: Date): Promise<MemberUsage[]> {
    const recent = this.db
      .selectFrom("usage")
      .select(["owner_id", ...totals()])
      .where("created_at", ">=", since.toISOString())
      .groupBy("owner_id")
      .as("recent");
    const last = this.db.selectFrom("usage").select(["owner_id", (eb) => eb.fn.max("created_at").as("last_used_at")]).groupBy("owner_id").as("last");
    const rows = await this.db
      .selectFrom("auth_user")
      .leftJoin(recent, "recent.owner_id", "auth_user.id")
      .leftJoin(last, "last.owner_id", "auth_user.id")
      .select([
        "auth_user.id",
        "auth_user.email",
        "auth_user.name",
        "auth_user.role",
        "auth_user.banned",
        "auth_user.createdAt",
        "recent.analyses",
        "recent.input_tokens",
        "recent.output_tokens",
        "recent.total_tokens",
        "last.last_used_at",
      ])
      .orderBy("auth_user.email")
      .execute();
    return rows.map((row) => ({
      ...toUser(row),
      disabled: Boolean(row.banned),
      createdAt: new Date(row.createdAt).toISOString(),
      lastUsedAt: row.last_used_at ?? null,
      ...toTotals(row),
    }));
  }

  // Share links, as the admin sees them.

  async activeShares(): Promise<ShareSummary[]> {
    const rows = await this.db
      .selectFrom("shares")
      .innerJoin("conversations", "conversations.id", "shares.conversation_id")
      .leftJoin("auth_user", "auth_user.id", "conversations.owner_id")
      .select(["shares.id", "shares.conversation_id", "conversations.title", "conversations.owner_id", "auth_user.email", "shares.visibility", "shares.created_at"])
      .where("shares.revoked_at", "is", null)
      .orderBy("shares.created_at", "desc")
      .execute();
    return rows.map((row) => ({
      id: row.id,
      conversationId: row.conversation_id,
      title: row.title,
      ownerId: row.owner_id,
      ownerEmail: row.email ?? null,
      visibility: row.visibility,
      createdAt: row.created_at,
    }));
  }

  /** Revokes any share link (an admin's power); false when there is no live one with this id. */
  async revokeShare(shareId: string): Promise<boolean> {
    const result = await this.db
      .updateTable("shares")
      .set({ revoked_at: new Date().toISOString() })
      .where("id", "=", shareId)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** When someone last analysed anything (ever), for an owner with no account row: the local owner. */
  async lastUseOf(ownerId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("usage")
      .select((eb) => eb.fn.max("created_at").as("last_used_at"))
      .where("owner_id", "=", ownerId)
      .executeTakeFirst();
    return row?.last_used_at ?? null;
  }
}

function totals() {
  return [
    sql<number | string>`count(*)`.as("analyses"),
    sql<number | string>`coalesce(sum(input_tokens), 0)`.as("input_tokens"),
    sql<number | string>`coalesce(sum(output_tokens), 0)`.as("output_tokens"),
    sql<number | string>`coalesce(sum(total_tokens), 0)`.as("total_tokens"),
  ] as const;
}

// PostgreSQL's count and sum are bigints, which pg returns as strings.
function toTotals(row: { analyses: number | string | null; input_tokens: number | string | null; output_tokens: number | string | null; total_tokens: number | string | null }): UsageTotals {
  return {
    analyses: Number(row.analyses ?? 0),
    inputTokens: Number(row.input_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    totalTokens: Number(row.total_tokens ?? 0),
  };
}

function toUser(row: { id: string; email: string; name: string; role: string | null; banned: boolean | number | null }): AccountUser {
  return { id: row.id, email: row.email, name: row.name, role: row.role === "admin" ? "admin" : "member", banned: Boolean(row.banned) };
}
