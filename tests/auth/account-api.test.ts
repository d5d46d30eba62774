import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "@/lib/auth/account-api";
import { createAuthRuntime, getAuthRuntime, requireIdentity, type AuthRuntime } from "@/lib/auth/identity";
import { parseConfig } from "@/lib/config";
import { getLogger } from "@/lib/ops/logger";
import { peerAddressHeaders } from "@/lib/ops/peer-address";
import { createdTokenSchema, MAX_TOKEN_NAME_CHARS, MAX_TOKENS_PER_PERSON, tokenListSchema, usageReportSchema } from "@/lib/shared/account-contract";
import { AppError } from "@/lib/shared/errors";

/**
 * The account API over a real SQLite database, in proxy mode: a request carrying the proxy's
 * e-mail header from a trusted peer (loopback, the default AUTH_TRUSTED_PROXIES, as the server
 * stamps it: lib/ops/peer-address.ts) is that person,
 * so alice and bob exist without a sign-in flow. Tokens are then real tokens, checked by the same
 * requireIdentity every route uses.
 */

const ALICE = "alice@example.com";
const BOB = "bob@example.com";
const BASE = "http://diagrams.example.com";

let directory: string;
let runtime: AuthRuntime;
let dependencies: api.AccountApiDependencies;

beforeAll(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "mra-account-api-"));
  runtime = await getAuthRuntime(parseConfig({ DATA_DIR: directory, AUTH_MODE: "proxy" }));
  dependencies = { auth: async () => runtime };
});
afterAll(async () => {
  await runtime.database.db.destroy();
  await rm(directory, { recursive: true, force: true });
});
beforeEach(async () => {
  await runtime.database.db.deleteFrom("api_tokens").execute();
  await runtime.database.db.deleteFrom("usage").execute();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

type Who = { email: string } | { token: string } | "nobody";

function request(pathname: string, who: Who, init: RequestInit & { headers?: Record<string, string> } = {}): Request {
  const identity: Record<string, string> =
    who === "nobody" ? {} : "email" in who ? { "x-forwarded-email": who.email, ...peerAddressHeaders("127.0.0.1") } : { authorization: `Bearer ${who.token}` };
  return new Request(`${BASE}${pathname}`, { ...init, headers: { host: "diagrams.example.com", ...identity, ...init.headers } });
}

const alice = { email: ALICE };
const bob = { email: BOB };

async function create(who: Who, name: string, deps = dependencies): Promise<Response> {
  return api.createToken(request("/api/tokens", who, { method: "POST", body: JSON.stringify({ name }), headers: { "content-type": "application/json" } }), deps);
}

async function createdBy(who: Who, name: string) {
  const response = await create(who, name);
  expect(response.status).toBe(201);
  return createdTokenSchema.parse(await response.json());
}

async function tokensOf(who: Who) {
  const response = await api.listTokens(request("/api/tokens", who), dependencies);
  expect(response.status).toBe(200);
  return tokenListSchema.parse(await response.json()).tokens;
}

function revoke(who: Who, id: string, deps = dependencies) {
  return api.revokeToken(request(`/api/tokens/${id}`, who, { method: "DELETE" }), id, deps);
}

async function errorOf(response: Response) {
  return { status: response.status, ...((await response.json()) as { error: { code: string; message: string } }).error };
}

describe("personal API tokens", () => {
  it("are created once with their text, listed by name and last characters, and revoked", async () => {
    const { token, summary } = await createdBy(alice, "  CI pipeline  ");
    expect(token).toMatch(/^mra_[A-Za-z0-9_-]{40,}$/);
    expect(summary).toMatchObject({ name: "CI pipeline", hint: token.slice(-4), lastUsedAt: null });
    const second = await createdBy(alice, "laptop");

    const listed = await api.listTokens(request("/api/tokens", alice), dependencies);
    expect(listed.headers.get("cache-control")).toBe("no-store");
    const text = await listed.text();
    expect(text).not.toContain(token);
    expect(tokenListSchema.parse(JSON.parse(text)).tokens.map((each) => each.name)).toEqual(["laptop", "CI pipeline"]);

    const revoked = await revoke(alice, summary.id);
    expect(revoked.status).toBe(204);
    expect((await tokensOf(alice)).map((each) => each.id)).toEqual([second.summary.id]);
    expect(await errorOf(await revoke(alice, summary.id))).toMatchObject({ status: 404, code: "not_found" });
  });

  it("are each person's own: bob neither sees nor revokes alice's", async () => {
    const { token, summary } = await createdBy(alice, "alice's script");
    expect(await tokensOf(bob)).toEqual([]);
    const refused = await errorOf(await revoke(bob, summary.id));
    const unknown = await errorOf(await revoke(bob, "00000000-0000-4000-8000-000000000000"));
    expect(refused).toEqual(unknown);
    expect(refused).toMatchObject({ status: 404, code: "not_found" });
    expect((await requireIdentity(request("/", { token }), runtime)).email).toBe(ALICE);
  });

  it("authenticate as their owner until revoked, then get 401", async () => {
    const { token, summary } = await createdBy(alice, "script");
    const identity = await requireIdentity(request("/api/conversations", { token }), runtime);
    expect(identity).toMatchObject({ email: ALICE, via: "token", role: "member" });
    // A token may list its person's tokens, and its last use shows there.
    expect((await tokensOf({ token }))[0]).toMatchObject({ id: summary.id, lastUsedAt: expect.any(String) });

    expect((await revoke(alice, summary.id)).status).toBe(204);
    const refused = await requireIdentity(request("/api/conversations", { token }), runtime).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ code: "unauthorized", status: 401 });
    expect(await errorOf(await api.listTokens(request("/api/tokens", { token }), dependencies))).toMatchObject({ status: 401, code: "unauthorized" });
    // A tampered token is no token either.
    const tampered = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect((await api.listTokens(request("/api/tokens", { token: tampered }), dependencies)).status).toBe(401);
  });

  it("cannot create tokens: a leaked one must not mint more", async () => {
    const { token } = await createdBy(alice, "script");
    const refused = await errorOf(await create({ token }, "another"));
    expect(refused).toMatchObject({ status: 403, code: "forbidden" });
    expect(refused.message).toMatch(/create tokens on the page/);
    expect(await tokensOf(alice)).toHaveLength(1);
  });

  it("need a name of 1 to 80 characters, JSON, a same-site request, and room for one more", async () => {
    expect(await errorOf(await create(alice, "   "))).toMatchObject({ status: 400, code: "invalid_request", message: expect.stringMatching(/name/) });
    expect(await errorOf(await create(alice, "x".repeat(MAX_TOKEN_NAME_CHARS + 1)))).toMatchObject({ status: 400, message: expect.stringMatching(/at most 80/) });
    const notJson = await api.createToken(request("/api/tokens", alice, { method: "POST", body: "name=x" }), dependencies);
    expect((await errorOf(notJson)).code).toBe("invalid_request");
    const tooLarge = await api.createToken(request("/api/tokens", alice, { method: "POST", body: JSON.stringify({ name: "x".repeat(10_000) }) }), dependencies);
    expect((await errorOf(tooLarge)).message).toMatch(/too large/);
    const crossSite = await api.createToken(request("/api/tokens", alice, { method: "POST", body: '{"name":"x"}', headers: { "sec-fetch-site": "cross-site" } }), dependencies);
    expect(await errorOf(crossSite)).toMatchObject({ status: 403, code: "cross_site_request" });
    expect(await tokensOf(alice)).toEqual([]);

    await createdBy(alice, "x".repeat(MAX_TOKEN_NAME_CHARS));
    for (let index = 1; index < MAX_TOKENS_PER_PERSON; index++) await createdBy(alice, `token ${index}`);
    const full = await errorOf(await create(alice, "one too many"));
    expect(full).toMatchObject({ status: 400, code: "invalid_request" });
    expect(full.message).toMatch(/20 API tokens.*revoke one/);
    expect(await tokensOf(alice)).toHaveLength(MAX_TOKENS_PER_PERSON);
    // The limit is per person.
    await createdBy(bob, "bob's first");
  });

  it("hold the limit when creations race for the last place", async () => {
    for (let index = 0; index < MAX_TOKENS_PER_PERSON - 1; index++) await createdBy(alice, `token ${index}`);
    const statuses = (await Promise.all([create(alice, "racer 1"), create(alice, "racer 2"), create(alice, "racer 3")])).map((response) => response.status);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    expect(await tokensOf(alice)).toHaveLength(MAX_TOKENS_PER_PERSON);
  });

  it("are refused, like signing out everywhere, when sign-in is off", async () => {
    const none = createAuthRuntime({ ...runtime.settings, mode: "none" }, runtime.database);
    const noneDependencies = { auth: async () => none };
    for (const response of [
      await api.listTokens(request("/api/tokens", "nobody"), noneDependencies),
      await create("nobody", "script", noneDependencies),
      await revoke("nobody", "00000000-0000-4000-8000-000000000000", noneDependencies),
    ]) {
      const refused = await errorOf(response);
      expect(refused).toMatchObject({ status: 403, code: "forbidden" });
      expect(refused.message).toMatch(/AUTH_MODE=none/);
    }
    expect((await api.signOutEverywhere(request("/", "nobody", { method: "POST" }), noneDependencies)).status).toBe(403);
    // Usage is the local owner's, still.
    expect((await api.usage(request("/api/usage", "nobody"), noneDependencies)).status).toBe(200);
  });
});

describe("usage", () => {
  const NOW = Date.parse("2025-03-10T12:00:00.000Z");

  async function recordAt(iso: string, email: string, provider: string, inputTokens: number, outputTokens: number) {
    vi.setSystemTime(Date.parse(iso));
    const { userId } = await requireIdentity(request("/", { email }), runtime);
    await runtime.accounts.recordUsage({ ownerId: userId, provider, model: null, inputTokens, outputTokens, totalTokens: inputTokens + outputTokens });
  }

  async function usageOf(who: Who, deps = dependencies) {
    const response = await api.usage(request("/api/usage", who), deps);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    return usageReportSchema.parse(await response.json());
  }

  it("is each person's own, over the last 30 days per provider, with today's tokens since 00:00 UTC", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    await recordAt("2025-02-07T12:00:00.000Z", ALICE, "gemini", 9_000, 999); // before the window
    await recordAt("2025-03-09T23:59:00.000Z", ALICE, "gemini", 100, 20); // in it, but yesterday
    await recordAt("2025-03-10T00:00:00.000Z", ALICE, "gemini", 1_000, 200);
    await recordAt("2025-03-10T08:00:00.000Z", ALICE, "offline", 0, 0);
    await recordAt("2025-03-10T09:00:00.000Z", BOB, "gemini", 5_000, 0);
    await recordAt("2025-03-10T10:00:00.000Z", BOB, "openai", 70, 30);
    vi.setSystemTime(NOW);

    expect(await usageOf(alice)).toEqual({
      since: "2025-02-08T12:00:00.000Z",
      days: 30,
      byProvider: [
        { provider: "gemini", analyses: 2, inputTokens: 1_100, outputTokens: 220, totalTokens: 1_320 },
        { provider: "offline", analyses: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 },
      ],
      today: { totalTokens: 1_200, tokensPerDay: null },
    });
    expect(await usageOf(bob)).toMatchObject({
      byProvider: [
        { provider: "gemini", analyses: 1, totalTokens: 5_000 },
        { provider: "openai", analyses: 1, inputTokens: 70, outputTokens: 30, totalTokens: 100 },
      ],
      today: { totalTokens: 5_100 },
    });
    // A token reads its own person's usage.
    const { token } = await createdBy(bob, "usage script");
    expect((await usageOf({ token })).today.totalTokens).toBe(5_100);

    const limited = createAuthRuntime({ ...runtime.settings, limits: { requestsPerMinute: undefined, tokensPerDay: 200_000 } }, runtime.database);
    expect((await usageOf(alice, { auth: async () => limited })).today).toEqual({ totalTokens: 1_200, tokensPerDay: 200_000 });
  });

  it("starts empty for someone new", async () => {
    expect(await usageOf({ email: "carol@example.com" })).toMatchObject({ byProvider: [], today: { totalTokens: 0, tokensPerDay: null } });
  });
});

describe("every account route", () => {
  type Call = (who: Who, deps: api.AccountApiDependencies, headers?: Record<string, string>) => Promise<Response>;
  const routes: [string, Call][] = [
    ["GET /api/tokens", (who, deps, headers) => api.listTokens(request("/api/tokens", who, { headers }), deps)],
    ["POST /api/tokens", (who, deps, headers) => api.createToken(request("/api/tokens", who, { method: "POST", body: '{"name":"x"}', headers }), deps)],
    ["DELETE /api/tokens/:id", (who, deps, headers) => api.revokeToken(request("/api/tokens/x", who, { method: "DELETE", headers }), "x", deps)],
    ["GET /api/usage", (who, deps, headers) => api.usage(request("/api/usage", who, { headers }), deps)],
    ["POST /api/account/sign-out-everywhere", (who, deps, headers) => api.signOutEverywhere(request("/", who, { method: "POST", headers }), deps)],
  ];

  it.each(routes)("%s refuses the signed out (401) and an identity header from an untrusted or claimed address (401)", async (_name, call) => {
    expect(await errorOf(await call("nobody", dependencies))).toMatchObject({ status: 401, code: "unauthorized" });
    const forged = await call("nobody", dependencies, { "x-forwarded-email": ALICE, ...peerAddressHeaders("203.0.113.9") });
    expect(await errorOf(forged)).toMatchObject({ status: 401, code: "untrusted_proxy_header" });
    // A client's own X-Peer-Address is not the server's: without the server's proof it counts for nothing.
    const claimedPeer = await call("nobody", dependencies, { "x-forwarded-email": ALICE, "x-peer-address": "127.0.0.1" });
    expect(await errorOf(claimedPeer)).toMatchObject({ status: 401, code: "untrusted_proxy_header" });
  });

  it.each(routes)("%s answers 503 with Retry-After when the database cannot be reached", async (_name, call) => {
    const logged = vi.spyOn(getLogger(), "error").mockImplementation(() => undefined);
    const response = await call(alice, { auth: () => Promise.reject(new Error("SQLITE_CANTOPEN")) });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    expect((await errorOf(response)).code).toBe("history_unavailable");
    expect(logged).toHaveBeenCalledOnce();
  });
});

describe("signing out everywhere", () => {
  async function addSession(userId: string, token: string) {
    const now = new Date().toISOString();
    const expires = new Date(Date.now() + 3_600_000).toISOString();
    await sql`insert into auth_session (id, "expiresAt", token, "createdAt", "updatedAt", "userId") values (${token}, ${expires}, ${token}, ${now}, ${now}, ${userId})`.execute(runtime.database.db);
  }

  async function sessionsOf(userId: string) {
    return (await runtime.database.db.selectFrom("auth_session").select("token").where("userId", "=", userId).orderBy("token").execute()).map((row) => row.token);
  }

  it("ends every session of the person's and nobody else's, asked by the person or by their token", async () => {
    const aliceId = (await requireIdentity(request("/", alice), runtime)).userId;
    const bobId = (await requireIdentity(request("/", bob), runtime)).userId;
    await addSession(aliceId, "alice-laptop");
    await addSession(aliceId, "alice-phone");
    await addSession(bobId, "bob-laptop");

    const response = await api.signOutEverywhere(request("/api/account/sign-out-everywhere", alice, { method: "POST" }), dependencies);
    expect(response.status).toBe(204);
    expect(await sessionsOf(aliceId)).toEqual([]);
    expect(await sessionsOf(bobId)).toEqual(["bob-laptop"]);

    const { token } = await createdBy(bob, "script");
    expect((await api.signOutEverywhere(request("/", { token }, { method: "POST" }), dependencies)).status).toBe(204);
    expect(await sessionsOf(bobId)).toEqual([]);
    // Tokens are not sessions: they keep working until revoked.
    expect((await requireIdentity(request("/", { token }), runtime)).email).toBe(BOB);

    const crossSite = await api.signOutEverywhere(request("/", alice, { method: "POST", headers: { "sec-fetch-site": "cross-site" } }), dependencies);
    expect(crossSite.status).toBe(403);
  });
});
