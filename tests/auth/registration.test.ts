import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuthRuntime, hashToken, identify, type AuthRuntime } from "@/lib/auth/identity";
import { handleRegistration } from "@/lib/auth/registration";
import { parseConfig, type AppConfig } from "@/lib/config";
import { getDatabase, type Database } from "@/lib/store/database";

/**
 * Password accounts on a real SQLite file, through better-auth itself: who may make one, with
 * which role, and that the account made can sign in (its cookie is a working session).
 */

const PUBLIC_URL = "http://127.0.0.1:3000";
const SECRET = "registration-test-secret-0123456789abcdef";
const PASSWORD = "correct horse battery";

const directories: string[] = [];
let database: Database;
let runtime: AuthRuntime;

async function passwordServer(extra: Record<string, string> = {}): Promise<AppConfig> {
  return parseConfig({ DATA_DIR: await dataDirectory(), AUTH_MODE: "password", AUTH_SECRET: SECRET, PUBLIC_URL, ...extra });
}

async function dataDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "mra-registration-"));
  directories.push(directory);
  return directory;
}

async function open(config: AppConfig) {
  database = await getDatabase(config);
  runtime = createAuthRuntime(config.auth, database);
}

beforeEach(async () => {
  await open(await passwordServer());
});
afterEach(async () => {
  await database.db.destroy();
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

function register(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return handleRegistration(
    new Request(`${PUBLIC_URL}/api/account/register`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: PUBLIC_URL, "sec-fetch-site": "same-origin", ...headers },
      body: JSON.stringify(body),
    }),
    runtime,
  );
}

function person(name: string, extra: Record<string, unknown> = {}) {
  return { name, email: `${name.toLowerCase()}@example.com`, password: PASSWORD, ...extra };
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

/** The session the answer's cookie opens, as every route identifies a request. */
async function identityFrom(response: Response) {
  const cookie = response.headers
    .getSetCookie()
    .map((each) => each.split(";")[0])
    .join("; ");
  return identify(new Headers({ cookie }), runtime);
}

async function invitation(token: string, expiresAt = new Date(Date.now() + 3_600_000)) {
  const admin = await runtime.accounts.userByEmail("ada@example.com");
  await runtime.accounts.createInvitation(admin!.id, hashToken(token), expiresAt);
}

describe("registration in AUTH_MODE=password", () => {
  it("makes the first account an admin, signed in with an HttpOnly, SameSite=Lax session cookie", async () => {
    const response = await register(person("Ada", { email: "  Ada@Example.COM " }));
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ account: { id: expect.any(String), email: "ada@example.com", name: "Ada", role: "admin" } });
    const session = response.headers.getSetCookie().find((cookie) => cookie.startsWith("better-auth.session_token="));
    expect(session).toMatch(/;\s*HttpOnly/i);
    expect(session).toMatch(/;\s*SameSite=Lax/i);
    expect(await identityFrom(response)).toMatchObject({ email: "ada@example.com", name: "Ada", role: "admin", via: "session" });
  });

  it("keeps only a memory-hard hash of the password, and that password signs in", async () => {
    await register(person("Ada"));
    // better-auth's own table, outside the app's typed schema.
    const { rows } = await sql<{ providerId: string; password: string }>`select "providerId", "password" from auth_account`.execute(database.db);
    const stored = rows[0]!;
    expect(stored.providerId).toBe("credential");
    expect(stored.password).not.toContain(PASSWORD);
    const context = await runtime.auth!.$context;
    expect(await context.password.verify({ hash: stored.password, password: PASSWORD })).toBe(true);
    const signedIn = await runtime.auth!.api.signInEmail({ body: { email: "ada@example.com", password: PASSWORD }, asResponse: true });
    expect(signedIn.status).toBe(200);
  });

  it("refuses a second account without an invitation, and says how to get one", async () => {
    await register(person("Ada"));
    const response = await register(person("Bob"));
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toEqual({ code: "forbidden", message: "Accounts are made from an invitation link; ask an admin." });
    expect(await runtime.accounts.countUsers()).toBe(1);
  });

  it("makes a member from an invitation, which cannot be used twice", async () => {
    await register(person("Ada"));
    await invitation("invite-token-1");
    const bob = await register(person("Bob", { invitation: "invite-token-1" }));
    expect(bob.status).toBe(201);
    expect(await identityFrom(bob)).toMatchObject({ email: "bob@example.com", role: "member" });
    expect(await runtime.accounts.invitationOpen(hashToken("invite-token-1"))).toBe(false);

    const again = await register(person("Carol", { invitation: "invite-token-1" }));
    expect(again.status).toBe(403);
    expect((await errorOf(again)).message).toBe("This invitation was used or has expired; ask an admin for a new one.");
    expect((await register(person("Dan", { invitation: "never-issued" }))).status).toBe(403);
  });

  it("refuses an expired invitation", async () => {
    await register(person("Ada"));
    await invitation("old-token", new Date(Date.now() - 1_000));
    const response = await register(person("Bob", { invitation: "old-token" }));
    expect(response.status).toBe(403);
  });

  it("makes exactly one admin when two people open a new server at once", async () => {
    const answers = await Promise.all([register(person("Ada")), register(person("Bob")), register(person("Carol"))]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 403, 403]);
    const users = await database.db.selectFrom("auth_user").select(["email", "role"]).execute();
    expect(users).toHaveLength(1);
    expect(users[0]?.role).toBe("admin");
  });

  it("answers a taken e-mail with 400 and gives the invitation back", async () => {
    await register(person("Ada"));
    await invitation("invite-token-2");
    const response = await register(person("Ada", { email: "ADA@example.com", invitation: "invite-token-2" }));
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toEqual({ code: "invalid_request", message: "An account with this e-mail exists; sign in instead." });
    expect(await runtime.accounts.invitationOpen(hashToken("invite-token-2"))).toBe(true);
  });

  it("gives the first account's place back when that account cannot be made", async () => {
    await database.db.destroy();
    await open(await passwordServer({ AUTH_ALLOWED_DOMAINS: "example.org" }));
    const refused = await register(person("Ada"));
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toBe("Accounts of example.com may not use this server.");
    const admitted = await register(person("Ada", { email: "ada@example.org" }));
    expect(admitted.status).toBe(201);
    expect(((await admitted.json()) as { account: { role: string } }).account.role).toBe("admin");
  });

  it("checks the e-mail, name and password before anything is claimed", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [person("Ada", { email: "not-an-address" }), "Enter an e-mail address such as ada@example.com."],
      [person("Ada", { name: "   " }), "Enter your name."],
      [person("Ada", { name: "x".repeat(81) }), "A name has at most 80 characters."],
      [person("Ada", { password: "short" }), "A password has at least 10 characters."],
      [person("Ada", { password: "x".repeat(201) }), "A password has at most 200 characters."],
    ];
    for (const [body, message] of cases) {
      const response = await register(body);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).message).toBe(message);
    }
    const malformed = await handleRegistration(new Request(`${PUBLIC_URL}/api/account/register`, { method: "POST", body: "{" }), runtime);
    expect(malformed.status).toBe(400);
    const huge = await register(person("Ada", { padding: "x".repeat(10_000) }));
    expect((await errorOf(huge)).message).toBe("The registration request is too large.");
    expect(await runtime.accounts.countUsers()).toBe(0);
    expect((await register(person("Ada"))).status).toBe(201);
  });

  it("refuses requests from another site", async () => {
    const response = await register(person("Ada"), { "sec-fetch-site": "cross-site" });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("cross_site_request");
    expect(await runtime.accounts.countUsers()).toBe(0);
  });

  it("answers 404 in the modes without password accounts", async () => {
    await database.db.destroy();
    const config = parseConfig({ DATA_DIR: await dataDirectory(), AUTH_MODE: "proxy" });
    await open(config);
    const response = await register(person("Ada"));
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("not_found");
  });
});
