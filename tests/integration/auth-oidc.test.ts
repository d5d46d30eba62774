import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SQLITE_FILE_NAME } from "@/lib/store/database";
import { freePort } from "@/tests/helpers/free-port";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { DEFAULT_OIDC_USER, startOidcProvider, type OidcTestProvider, type OidcTestUser } from "@/tests/helpers/oidc-provider";

/**
 * AUTH_MODE=oidc through `next start` and a real OpenID provider on 127.0.0.1: the whole
 * authorization code flow as a browser makes it (fetch, redirects followed by hand, one cookie jar
 * for the app and one for the provider), and each way it must fail: a domain outside
 * AUTH_ALLOWED_DOMAINS, a tampered state, a wrong nonce, a replayed callback, a provider that
 * refuses or is down, a forged session cookie, a session after sign-out.
 */

const ADMIN: OidcTestUser = { email: "alice@example.test", name: "Alice Admin" };
const MEMBER: OidcTestUser = { email: "bob@example.test", name: "Bob Member" };
const OUTSIDER: OidcTestUser = { email: "mallory@elsewhere.test", name: "Mallory" };
const SESSION_COOKIE = "better-auth.session_token";
const SIGN_IN_ERROR_PATH = "/sign-in/error";

let provider: OidcTestProvider;
let app: RunningServer;
let dataDir: string;
const extraServers: RunningServer[] = [];
const extraProviders: OidcTestProvider[] = [];

function appSettings(appUrl: string, idp: { issuer: string; clientId: string; clientSecret: string }, data: string): Record<string, string> {
  return {
    AUTH_MODE: "oidc",
    AUTH_SECRET: randomBytes(30).toString("base64url"),
    PUBLIC_URL: appUrl,
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    AUTH_ADMINS: ADMIN.email,
    AUTH_ALLOWED_DOMAINS: "example.test",
    DATA_DIR: data,
  };
}

beforeAll(async () => {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  provider = await startOidcProvider({ redirectUris: [`${appUrl}/api/auth/callback/oidc`] });
  dataDir = await mkdtemp(path.join(os.tmpdir(), "mra-auth-oidc-"));
  app = await startNextServer(appSettings(appUrl, provider, dataDir), { port });
});
afterEach(async () => {
  provider.setNextUser(DEFAULT_OIDC_USER);
  provider.refuseSignIns(false);
  provider.sendWrongNonces(false);
  await Promise.all(extraServers.splice(0).map((server) => server.stop()));
  await Promise.all(extraProviders.splice(0).map((extra) => extra.stop()));
});
afterAll(async () => {
  await app?.stop();
  await provider?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** One origin's cookies as a browser keeps them (paths and expiry dates aside: a test is short). */
class CookieJar {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line received, for checking attributes. */
  readonly received: string[] = [];

  store(response: Response): this {
    for (const line of response.headers.getSetCookie()) {
      this.received.push(line);
      const [pair = "", ...attributes] = line.split(";");
      const separator = pair.indexOf("=");
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const removed = value === "" || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute) || /^\s*expires=Thu, 01 Jan 1970/i.test(attribute));
      if (removed) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  copy(): CookieJar {
    const copy = new CookieJar();
    for (const [name, value] of this.cookies) copy.cookies.set(name, value);
    return copy;
  }
}

/** The headers a browser sends with a same-origin fetch from the app's page. */
function fromPage(server: RunningServer, jar: CookieJar, extra: Record<string, string> = {}): Record<string, string> {
  return { origin: server.url, "sec-fetch-site": "same-origin", cookie: jar.header(), ...extra };
}

/**
 * What the sign-in page's button does: ask the app where to send the browser. better-auth answers
 * 200 with the provider's authorization URL (in `url`, and in Location for a form post).
 */
async function startSignIn(server: RunningServer, jar: CookieJar): Promise<Response> {
  const response = await fetch(`${server.url}/api/auth/sign-in/social`, {
    method: "POST",
    redirect: "manual",
    headers: fromPage(server, jar, { "content-type": "application/json" }),
    body: JSON.stringify({ provider: "oidc", callbackURL: "/" }),
  });
  jar.store(response);
  return response;
}

/** Follows the provider's redirects (its own cookies in a jar of their own) back to the app's callback URL. */
async function throughProvider(authorizationUrl: string, appOrigin: string): Promise<URL> {
  const providerJar = new CookieJar();
  let next = new URL(authorizationUrl);
  for (let hop = 0; hop < 10; hop++) {
    if (next.origin === appOrigin) return next;
    const response = await fetch(next, { redirect: "manual", headers: { cookie: providerJar.header() } });
    providerJar.store(response);
    const location = response.headers.get("location");
    if (!location) throw new Error(`the provider stopped at ${next.href} with ${response.status}: ${await response.text()}`);
    next = new URL(location, next);
  }
  throw new Error("too many redirects at the provider");
}

/** The browser arriving at the app's callback: the app's answer, its cookies kept in `jar`. */
async function arriveAtCallback(callback: URL, jar: CookieJar): Promise<Response> {
  const response = await fetch(callback, { redirect: "manual", headers: { cookie: jar.header() } });
  jar.store(response);
  return response;
}

interface SignInAttempt {
  jar: CookieJar;
  /** The app's callback URL as the provider sent the browser there (code and state). */
  callback: URL;
  /** The app's cookies just before the callback: what a browser replaying it would hold. */
  jarBeforeCallback: CookieJar;
  /** The app's answer at the callback. */
  response: Response;
  /** Where the app sent the browser from the callback. */
  location: string;
}

/** A whole sign-in as `user`, from the sign-in button to where the app's callback sends the browser. */
async function signIn(user: OidcTestUser, { server = app, tamper }: { server?: RunningServer; tamper?: (callback: URL) => void } = {}): Promise<SignInAttempt> {
  provider.setNextUser(user);
  const jar = new CookieJar();
  const started = await startSignIn(server, jar);
  const callback = await throughProvider(await authorizationUrl(started), server.url);
  tamper?.(callback);
  const jarBeforeCallback = jar.copy();
  const response = await arriveAtCallback(callback, jar);
  expect(response.status).toBe(302);
  return { jar, callback, jarBeforeCallback, response, location: response.headers.get("location") ?? "" };
}

/** The provider's authorization URL from a sign-in the app started. */
async function authorizationUrl(started: Response): Promise<string> {
  const body = (await started.json()) as { url?: string; redirect?: boolean };
  expect(started.status, JSON.stringify(body)).toBe(200);
  expect(body.redirect).toBe(true);
  expect(body.url).toBeDefined();
  return body.url!;
}

function listConversations(jar: CookieJar, server = app): Promise<Response> {
  return fetch(`${server.url}/api/conversations`, { headers: { cookie: jar.header() } });
}

function withSessionCookie(value: string): CookieJar {
  const jar = new CookieJar();
  jar.cookies.set(SESSION_COOKIE, value);
  return jar;
}

/** The error page's address the app redirected to, with its `error` code. */
function signInError(location: string): { path: string; error: string | null } {
  const url = new URL(location, app.url);
  return { path: url.pathname, error: url.searchParams.get("error") };
}

/** Reads the app's database directly: what it holds, not what any route says about it. */
function database<T>(read: (db: SQLite.Database) => T): T {
  const db = new SQLite(path.join(dataDir, SQLITE_FILE_NAME), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function sessionsOf(email: string): number {
  return database(
    (db) =>
      (db.prepare("SELECT count(*) AS n FROM auth_session s JOIN auth_user u ON u.id = s.userId WHERE u.email = ?").get(email) as { n: number }).n,
  );
}

describe("signing in through the identity provider", () => {
  it("gives the person in AUTH_ADMINS a session cookie and the admin role", async () => {
    const { jar, location } = await signIn(ADMIN);
    expect(location).toBe("/");

    const sessionLine = jar.received.find((line) => line.startsWith(`${SESSION_COOKIE}=`));
    expect(sessionLine).toBeDefined();
    expect(sessionLine).toMatch(/;\s*HttpOnly/i);
    expect(sessionLine).toMatch(/;\s*SameSite=Lax/i);
    // PUBLIC_URL is http here: a Secure cookie would never come back.
    expect(sessionLine).not.toMatch(/;\s*Secure/i);

    expect((await listConversations(jar)).status).toBe(200);
    const members = await fetch(`${app.url}/api/admin/members`, { headers: { cookie: jar.header() } });
    expect(members.status).toBe(200);
    const { members: list } = (await members.json()) as { members: Array<{ email: string; role: string }> };
    expect(list).toContainEqual(expect.objectContaining({ email: ADMIN.email, role: "admin" }));
  });

  it("makes anyone else a member, who may not open the admin routes", async () => {
    const { jar, location } = await signIn(MEMBER);
    expect(location).toBe("/");
    expect((await listConversations(jar)).status).toBe(200);
    const members = await fetch(`${app.url}/api/admin/members`, { headers: { cookie: jar.header() } });
    expect(members.status).toBe(403);
    expect(database((db) => db.prepare("SELECT role, name FROM auth_user WHERE email = ?").get(MEMBER.email))).toEqual({ role: "member", name: MEMBER.name });
  });

  it("signs the same person in again as the same account", async () => {
    await signIn(MEMBER);
    await signIn(MEMBER);
    expect(database((db) => db.prepare("SELECT count(*) AS n FROM auth_user WHERE email = ?").get(MEMBER.email))).toEqual({ n: 1 });
  });
});

describe("sign-ins the app refuses", () => {
  it("refuses an e-mail outside AUTH_ALLOWED_DOMAINS with the error page, and makes no account", async () => {
    const { jar, location } = await signIn(OUTSIDER);
    expect(signInError(location)).toEqual({ path: SIGN_IN_ERROR_PATH, error: "domain_not_allowed" });
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await listConversations(jar)).status).toBe(401);
    expect(database((db) => db.prepare("SELECT count(*) AS n FROM auth_user WHERE email = ?").get(OUTSIDER.email))).toEqual({ n: 0 });

    // The page the browser lands on says what happened, without a stack trace.
    const page = await fetch(new URL(location, app.url));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/elsewhere\.test|domain|organisation|allowed/i);
    expect(html).not.toMatch(/\bat [\w.<>]+ \(|node_modules|APIError/);
  });

  it("refuses a callback whose state was tampered with, without exchanging its code", async () => {
    const { jar, location } = await signIn(MEMBER, {
      tamper: (callback) => {
        const state = callback.searchParams.get("state")!;
        const last = state.at(-1) === "A" ? "B" : "A";
        callback.searchParams.set("state", state.slice(0, -1) + last);
      },
    });
    expect(signInError(location)).toEqual({ path: SIGN_IN_ERROR_PATH, error: "state_mismatch" });
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await listConversations(jar)).status).toBe(401);
  });

  it("refuses a callback without the state cookie of the browser that started the sign-in", async () => {
    provider.setNextUser(MEMBER);
    const starter = new CookieJar();
    const started = await startSignIn(app, starter);
    const callback = await throughProvider(await authorizationUrl(started), app.url);
    // Another browser (an attacker's link in the victim's) arrives with the right code and state.
    const other = new CookieJar();
    const response = await arriveAtCallback(callback, other);
    expect(signInError(response.headers.get("location") ?? "")).toEqual({ path: SIGN_IN_ERROR_PATH, error: "state_mismatch" });
    expect(other.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it("refuses an ID token whose nonce is not the one this sign-in sent", async () => {
    const before = sessionsOf(MEMBER.email);
    provider.sendWrongNonces(true);
    const { jar, location } = await signIn(MEMBER);
    // better-auth's code when the ID token fails verification (signature, issuer, audience, nonce).
    expect(signInError(location)).toEqual({ path: SIGN_IN_ERROR_PATH, error: "unable_to_get_user_info" });
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await listConversations(jar)).status).toBe(401);
    expect(sessionsOf(MEMBER.email)).toBe(before);
  });

  it("makes no second session when the same callback (code and state) arrives again", async () => {
    const before = sessionsOf(MEMBER.email);
    const first = await signIn(MEMBER);
    expect(first.location).toBe("/");
    expect(sessionsOf(MEMBER.email)).toBe(before + 1);

    // Replayed with the cookies the browser held before the first arrival, the state cookie included.
    const replayJar = first.jarBeforeCallback.copy();
    const replay = await arriveAtCallback(first.callback, replayJar);
    expect(replay.status).toBe(302);
    // The state was used up by the first arrival: its code is never sent to the provider again.
    expect(signInError(replay.headers.get("location") ?? "")).toEqual({ path: SIGN_IN_ERROR_PATH, error: "state_mismatch" });
    expect(replay.headers.getSetCookie().some((line) => line.startsWith(`${SESSION_COOKIE}=`) && !/max-age=0/i.test(line))).toBe(false);
    expect(sessionsOf(MEMBER.email)).toBe(before + 1);
    expect((await listConversations(replayJar)).status).toBe(401);
  });

  it("sends a sign-in the provider refused to the error page with access_denied", async () => {
    provider.refuseSignIns(true);
    const { jar, callback, location } = await signIn(MEMBER);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(signInError(location)).toEqual({ path: SIGN_IN_ERROR_PATH, error: "access_denied" });
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await listConversations(jar)).status).toBe(401);
  });
});

describe("sessions", () => {
  it("refuses a forged session cookie: a random one, and a real one with one character changed", async () => {
    const { jar } = await signIn(MEMBER);
    const real = jar.cookies.get(SESSION_COOKIE)!;
    expect((await listConversations(withSessionCookie(real))).status).toBe(200);

    const random = await listConversations(withSessionCookie(`${randomBytes(24).toString("base64url")}.${randomBytes(32).toString("base64url")}`));
    expect(random.status).toBe(401);
    expect(await random.json()).toMatchObject({ error: { code: "unauthorized" } });

    const decoded = decodeURIComponent(real);
    const dot = decoded.indexOf(".");
    expect(dot).toBeGreaterThan(0);
    // One character of the token itself, and one of its signature: each must fail on its own.
    for (const at of [0, dot + 1]) {
      const changed = decoded.slice(0, at) + (decoded[at] === "x" ? "y" : "x") + decoded.slice(at + 1);
      expect((await listConversations(withSessionCookie(encodeURIComponent(changed)))).status).toBe(401);
    }
  });

  it("ends the session at sign-out: the old cookie is refused afterwards", async () => {
    const { jar } = await signIn(MEMBER);
    const oldCookie = jar.cookies.get(SESSION_COOKIE)!;
    expect((await listConversations(jar)).status).toBe(200);

    const signOut = await fetch(`${app.url}/api/auth/sign-out`, {
      method: "POST",
      headers: fromPage(app, jar, { "content-type": "application/json" }),
      body: "{}",
    });
    expect(signOut.status).toBe(200);
    jar.store(signOut);
    expect(jar.cookies.has(SESSION_COOKIE)).toBe(false);

    const replayed = await listConversations(withSessionCookie(oldCookie));
    expect(replayed.status).toBe(401);
  });
});

describe("an identity provider that is down", () => {
  // Two server starts and a provider start: longer than one request.
  it("answers the sign-in button with a clear 503, and signs in once the provider is back", { timeout: 90_000 }, async () => {
    const appPort = await freePort();
    const providerPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    const clientSecret = randomBytes(32).toString("base64url");
    const data = await mkdtemp(path.join(os.tmpdir(), "mra-auth-oidc-down-"));
    try {
      // Nothing listens at the issuer: the app starts anyway, and its discovery fails.
      const server = await startNextServer(
        appSettings(appUrl, { issuer: `http://127.0.0.1:${providerPort}`, clientId: "down-client", clientSecret }, data),
        { port: appPort },
      );
      extraServers.push(server);

      const refused = await startSignIn(server, new CookieJar());
      expect(refused.status).toBe(503);
      expect(refused.headers.get("location")).toBeNull();
      const body = (await refused.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("provider_unavailable");
      expect(body.error.message).toMatch(/identity provider/i);
      expect(JSON.stringify(body)).not.toMatch(/\bat [\w.<>]+ \(|node_modules/);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);

      // The provider comes up where the app expects it: the next sign-in goes through.
      const back = await startOidcProvider({ port: providerPort, clientId: "down-client", clientSecret, redirectUris: [`${appUrl}/api/auth/callback/oidc`] });
      extraProviders.push(back);
      back.setNextUser(MEMBER);
      const jar = new CookieJar();
      const started = await startSignIn(server, jar);
      const response = await arriveAtCallback(await throughProvider(await authorizationUrl(started), appUrl), jar);
      expect(response.headers.get("location")).toBe("/");
      expect((await listConversations(jar, server)).status).toBe(200);
    } finally {
      await Promise.all(extraServers.splice(0).map((server) => server.stop()));
      await rm(data, { recursive: true, force: true });
    }
  });
});
