import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as api from "@/lib/auth/admin-api";
import { API_TOKEN_PREFIX, createAuthRuntime, getAuthRuntime, hashToken, requireIdentity, type AuthRuntime } from "@/lib/auth/identity";
import { parseConfig } from "@/lib/config";
import { peerAddressHeaders } from "@/lib/ops/peer-address";
import { getDatabase, type Database } from "@/lib/store/database";
import { adminShareListSchema, adminUsageSchema, invitationSchema, memberListSchema, memberUpdateResultSchema } from "@/lib/shared/admin-contract";
import { AppError } from "@/lib/shared/errors";
import { diagramPng } from "@/tests/helpers/images";

/**
 * The admin routes over a real SQLite file, in AUTH_MODE=proxy: people are who the trusted proxy
 * (loopback) says they are, and admin@example.com is the admin (AUTH_ADMINS).
 */

const ADMIN = "admin@example.com";
const BOB = "bob@example.com";
const CAROL = "carol@example.com";
const BASE = "http://diagrams.example.com";
const DAY_MS = 24 * 60 * 60 * 1000;

let directory: string;
let database: Database;
let runtime: AuthRuntime;
let dependencies: api.AdminApiDependencies;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "mra-admin-api-"));
  const config = parseConfig({ DATA_DIR: directory, AUTH_MODE: "proxy", AUTH_ADMINS: ADMIN });
  database = await getDatabase(config);
  runtime = await getAuthRuntime(config);
  dependencies = { auth: async () => runtime };
});
afterAll(async () => {
  await database.db.destroy();
  await rm(directory, { recursive: true, force: true });
});

/** What the proxy in front sends for a signed-in person, from its loopback address (as this process's server marks it). */
function as(email: string): Record<string, string> {
  return { "x-forwarded-email": email, ...peerAddressHeaders("127.0.0.1") };
}

function request(pathname: string, init: RequestInit & { headers?: Record<string, string> } = {}): Request {
  return new Request(`${BASE}${pathname}`, { ...init, headers: { host: "diagrams.example.com", ...init.headers } });
}

function patch(id: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  const init = { method: "PATCH", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers } };
  return api.updateMember(request(`/api/admin/members/${id}`, init), id, dependencies);
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

/** The person's account, made as the proxy's first request for them makes it. */
async function account(email: string) {
  const identity = await requireIdentity(new Headers(as(email)), runtime);
  return identity.userId;
}

/** Why a request is refused, or "accepted". */
async function verdict(headers: Record<string, string>): Promise<string> {
  try {
    await requireIdentity(new Headers(headers), runtime);
    return "accepted";
  } catch (error) {
    if (error instanceof AppError) return `${error.status} ${error.code}`;
    throw error;
  }
}

/** A conversation of the owner's, shared with the team: its link's token. */
async function sharedConversation(ownerId: string, title: string): Promise<string> {
  const png = await diagramPng(300);
  const image = { hash: `hash-${title}`, data: png, width: 300, height: 120, bytes: png.length, mimeType: "image/png" };
  const { conversationId } = await database.store.startConversation({ ownerId, task: title, provider: "gemini", model: "m", depth: undefined, image, earlierTurns: [] });
  return (await database.store.createShare(ownerId, conversationId, "team"))!;
}

describe("the admin API", () => {
  it("answers a member 403 on every admin route, and someone signed out 401, changing nothing", async () => {
    const adminId = await account(ADMIN);
    const token = await sharedConversation(await account(CAROL), "Carol's flow");
    const [share] = (await runtime.accounts.activeShares()).filter((each) => each.title === "Carol's flow");
    const routes = (headers: Record<string, string>) => [
      api.listMembers(request("/api/admin/members", { headers }), dependencies),
      patch(adminId, { disabled: true }, headers),
      api.providerUsage(request("/api/admin/usage", { headers }), dependencies),
      api.listShares(request("/api/admin/shares", { headers }), dependencies),
      api.revokeShare(request(`/api/admin/shares/${share!.id}`, { method: "DELETE", headers }), share!.id, dependencies),
      api.createInvitation(request("/api/admin/invitations", { method: "POST", headers }), dependencies),
    ];
    for (const response of await Promise.all(routes(as(BOB)))) {
      expect(response.status).toBe(403);
      expect((await errorOf(response)).code).toBe("forbidden");
    }
    for (const response of await Promise.all(routes({}))) {
      expect(response.status).toBe(401);
    }
    // The admin's e-mail in the header, from a peer that is not the trusted proxy: nobody.
    for (const response of await Promise.all(routes({ "x-forwarded-email": ADMIN, "x-peer-address": "127.0.0.1" }))) {
      expect([response.status, (await errorOf(response)).code]).toEqual([401, "untrusted_proxy_header"]);
    }
    expect(await verdict(as(ADMIN))).toBe("accepted");
    expect(await database.store.sharedConversation(token)).toMatchObject({ title: "Carol's flow" });
  });

  it("lists the members with their usage in the last 30 days and their last use ever, and usage per provider", async () => {
    const bobId = await account(BOB);
    const carolId = await account(CAROL);
    await runtime.accounts.recordUsage({ ownerId: bobId, provider: "gemini", model: "g", inputTokens: 1_000, outputTokens: 200, totalTokens: 1_200 });
    await runtime.accounts.recordUsage({ ownerId: bobId, provider: "gemini", model: "g", inputTokens: 500, outputTokens: 100, totalTokens: 600 });
    await runtime.accounts.recordUsage({ ownerId: carolId, provider: "offline", model: null, inputTokens: 0, outputTokens: 0, totalTokens: 0 });

    const list = memberListSchema.parse(await (await api.listMembers(request("/api/admin/members", { headers: as(ADMIN) }), dependencies)).json());
    const bob = list.members.find((member) => member.email === BOB);
    expect(bob).toMatchObject({ id: bobId, name: "bob", role: "member", disabled: false, analyses: 2, inputTokens: 1_500, outputTokens: 300, totalTokens: 1_800 });
    expect(Date.parse(bob!.lastUsedAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(list.members.find((member) => member.email === ADMIN)).toMatchObject({ role: "admin", analyses: 0, lastUsedAt: null });
    expect(Date.parse(list.since)).toBeCloseTo(Date.now() - 30 * DAY_MS, -5);

    const usage = adminUsageSchema.parse(await (await api.providerUsage(request("/api/admin/usage", { headers: as(ADMIN) }), dependencies)).json());
    expect(usage.byProvider).toEqual([
      { provider: "gemini", analyses: 2, inputTokens: 1_500, outputTokens: 300, totalTokens: 1_800 },
      { provider: "offline", analyses: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 },
    ]);

    // A month on, the same rows are outside the window; the last use is still the last use.
    const later = { ...dependencies, now: () => new Date(Date.now() + 31 * DAY_MS) };
    const afterwards = memberListSchema.parse(await (await api.listMembers(request("/api/admin/members", { headers: as(ADMIN) }), later)).json());
    expect(afterwards.members.find((member) => member.email === BOB)).toMatchObject({ analyses: 0, totalTokens: 0, lastUsedAt: bob!.lastUsedAt });
    expect(adminUsageSchema.parse(await (await api.providerUsage(request("/", { headers: as(ADMIN) }), later)).json()).byProvider).toEqual([]);
  });

  it("disables bob: his sessions end, his next request is refused 403 account_disabled by header and by token; enabled again, he is let in", async () => {
    const bobId = await account(BOB);
    const { token } = await runtime.accounts.createToken(bobId, "ci", API_TOKEN_PREFIX, hashToken);
    const byToken = { authorization: `Bearer ${token}` };
    await sql`insert into auth_session (id, "expiresAt", token, "createdAt", "updatedAt", "userId") values ('bob-session', ${new Date(Date.now() + DAY_MS).toISOString()}, 'bob-session-token', ${new Date().toISOString()}, ${new Date().toISOString()}, ${bobId})`.execute(database.db);
    expect(await verdict(byToken)).toBe("accepted");

    const disabled = await patch(bobId, { disabled: true }, as(ADMIN));
    expect(disabled.status).toBe(200);
    expect(memberUpdateResultSchema.parse(await disabled.json()).member).toMatchObject({ id: bobId, email: BOB, disabled: true });
    expect(await verdict(as(BOB))).toBe("403 account_disabled");
    expect(await verdict(byToken)).toBe("403 account_disabled");
    expect(await database.db.selectFrom("auth_session").select("id").where("userId", "=", bobId).execute()).toEqual([]);
    const refused = await api.listShares(request("/api/admin/shares", { headers: byToken }), dependencies);
    expect(await errorOf(refused)).toEqual({ code: "account_disabled", message: "An admin has disabled this account." });

    const enabled = await patch(bobId, { disabled: false }, as(ADMIN));
    expect(memberUpdateResultSchema.parse(await enabled.json()).member.disabled).toBe(false);
    expect(await verdict(as(BOB))).toBe("accepted");
    expect(await verdict(byToken)).toBe("accepted");
  });

  it("will not let an admin disable themself, and answers 404 for unknown members, 400 for a bad body, 403 to another site", async () => {
    const adminId = await account(ADMIN);
    const bobId = await account(BOB);
    const self = await patch(adminId, { disabled: true }, as(ADMIN));
    expect(self.status).toBe(400);
    expect(await errorOf(self)).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/your own account/) });
    expect(await verdict(as(ADMIN))).toBe("accepted");

    for (const unknown of ["0f5c2a6e-0000-4000-8000-000000000000", "../../etc/passwd"]) {
      const response = await patch(unknown, { disabled: true }, as(ADMIN));
      expect([response.status, (await errorOf(response)).code]).toEqual([404, "not_found"]);
    }
    for (const body of ["{not json", { disabled: "yes" }, {}, { disabled: true, role: "admin" }, JSON.stringify({ disabled: true, pad: "x".repeat(2_000) })]) {
      const response = await patch(bobId, body, as(ADMIN));
      expect([response.status, (await errorOf(response)).code]).toEqual([400, "invalid_request"]);
    }
    const crossSite = await patch(bobId, { disabled: true }, { ...as(ADMIN), "sec-fetch-site": "cross-site" });
    expect([crossSite.status, (await errorOf(crossSite)).code]).toEqual([403, "cross_site_request"]);
    expect(await verdict(as(BOB))).toBe("accepted");
  });

  it("revokes another member's share link: /s/:token stops at once; a second revocation and an unknown id are 404", async () => {
    const bobId = await account(BOB);
    const token = await sharedConversation(bobId, "Bob's payment flow");
    expect(await database.store.sharedConversation(token)).toMatchObject({ title: "Bob's payment flow" });

    const listed = adminShareListSchema.parse(await (await api.listShares(request("/api/admin/shares", { headers: as(ADMIN) }), dependencies)).json());
    const share = listed.shares.find((each) => each.title === "Bob's payment flow");
    expect(share).toMatchObject({ ownerId: bobId, ownerEmail: BOB, visibility: "team" });

    const revoke = (id: string, headers = as(ADMIN)) => api.revokeShare(request(`/api/admin/shares/${id}`, { method: "DELETE", headers }), id, dependencies);
    expect((await revoke(share!.id, { ...as(ADMIN), "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect(await database.store.sharedConversation(token)).toBeDefined();
    const revoked = await revoke(share!.id);
    expect(revoked.status).toBe(204);
    expect(await database.store.sharedConversation(token)).toBeUndefined();
    expect(await database.store.sharedImage(token)).toBeUndefined();
    const after = adminShareListSchema.parse(await (await api.listShares(request("/api/admin/shares", { headers: as(ADMIN) }), dependencies)).json());
    expect(after.shares.map((each) => each.id)).not.toContain(share!.id);

    for (const id of [share!.id, "no-such-share-id"]) {
      const response = await revoke(id);
      expect([response.status, (await errorOf(response)).code]).toEqual([404, "not_found"]);
    }
  });

  it("makes invitations only in password mode: 404 here; in password mode 201 with a link at PUBLIC_URL, valid for 7 days", async () => {
    const invite = (headers: Record<string, string>, deps = dependencies) =>
      api.createInvitation(request("/api/admin/invitations", { method: "POST", headers }), deps);
    const elsewhere = await invite(as(ADMIN));
    expect([elsewhere.status, (await errorOf(elsewhere)).code]).toEqual([404, "not_found"]);

    const passwordConfig = parseConfig({
      DATA_DIR: directory,
      AUTH_MODE: "password",
      AUTH_SECRET: "a-test-secret-that-is-long-enough-0123456789",
      PUBLIC_URL: "https://diagrams.example.org",
    });
    const passwordRuntime = createAuthRuntime(passwordConfig.auth, database);
    const password = { auth: async () => passwordRuntime };
    // In password mode the admin proves who they are with a session or, as here, a personal token.
    const adminToken = (await runtime.accounts.createToken(await account(ADMIN), "admin", API_TOKEN_PREFIX, hashToken)).token;
    const bobToken = (await runtime.accounts.createToken(await account(BOB), "bob", API_TOKEN_PREFIX, hashToken)).token;

    expect((await invite({ authorization: `Bearer ${bobToken}` }, password)).status).toBe(403);
    expect((await invite({ authorization: `Bearer ${adminToken}`, "sec-fetch-site": "cross-site" }, password)).status).toBe(403);
    const made = await invite({ authorization: `Bearer ${adminToken}` }, password);
    expect(made.status).toBe(201);
    expect(made.headers.get("cache-control")).toBe("no-store");
    const invitation = invitationSchema.parse(await made.json());
    expect(invitation.url).toMatch(/^https:\/\/diagrams\.example\.org\/invite\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(invitation.expiresAt) - Date.now()).toBeGreaterThan(7 * DAY_MS - 60_000);
    expect(Date.parse(invitation.expiresAt) - Date.now()).toBeLessThanOrEqual(7 * DAY_MS);
    const token = invitation.url.split("/invite/")[1]!;
    expect(await passwordRuntime.accounts.invitationOpen(hashToken(token))).toBe(true);
    // The database holds the hash, never the link's token.
    const stored = await database.db.selectFrom("invitations").select("token_hash").execute();
    expect(stored.map((row) => row.token_hash)).toContain(hashToken(token));
    expect(JSON.stringify(stored)).not.toContain(token);
  });
});
