import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SIGN_IN_ATTEMPTS_PER_ACCOUNT } from "@/lib/auth/fair-use";
import { SQLITE_FILE_NAME } from "@/lib/store/database";
import { freePort } from "@/tests/helpers/free-port";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";

/**
 * AUTH_MODE=password through `next start`, as a browser would use it (fetch with a cookie jar of
 * its own): the first account, signing in and out, guessed passwords, forged and expired session
 * cookies, and a member made from an invitation link. Nothing of the sign-in is faked.
 */

const SECRET = "password-mode-integration-secret-0123456789";
const PASSWORD = "correct horse battery";
const SESSION_COOKIE = "better-auth.session_token";

let server: RunningServer;
let dataDirectory: string;

beforeAll(async () => {
  dataDirectory = await mkdtemp(path.join(os.tmpdir(), "mra-auth-password-"));
  // PUBLIC_URL names the server's own address: sign-in links and the origin better-auth trusts.
  const port = await freePort();
  server = await startNextServer(
    { AUTH_MODE: "password", AUTH_SECRET: SECRET, PUBLIC_URL: `http://127.0.0.1:${port}`, DATA_DIR: dataDirectory },
    { port },
  );
});
afterAll(async () => {
  await server?.stop();
  await rm(dataDirectory, { recursive: true, force: true });
});

/** One browser's cookies for the server: set by Set-Cookie, sent back on every request. */
class Browser {
  readonly cookies = new Map<string, string>();

  async get(pathname: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(pathname, { method: "GET", headers });
  }

  /** A JSON POST from the server's own page: the Origin and Fetch Metadata a browser adds. */
  async post(pathname: string, body?: unknown): Promise<Response> {
    return this.send(pathname, {
      method: "POST",
      headers: { "content-type": "application/json", origin: server.url, "sec-fetch-site": "same-origin" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  private async send(pathname: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await fetch(`${server.url}${pathname}`, {
      ...init,
      headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
      redirect: "manual",
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
}

function sessionCookieLine(response: Response): string {
  const line = response.headers.getSetCookie().find((each) => each.startsWith(`${SESSION_COOKIE}=`));
  if (!line) throw new Error(`no session cookie in ${JSON.stringify(response.headers.getSetCookie())}`);
  return line;
}

function expectSessionCookieAttributes(response: Response) {
  const line = sessionCookieLine(response);
  expect(line).toMatch(/;\s*HttpOnly/i);
  expect(line).toMatch(/;\s*SameSite=Lax/i);
  expect(line).toMatch(/;\s*Path=\//i);
  // Served over plain http here: Secure would make the browser drop it (it is set behind https).
  expect(line).not.toMatch(/;\s*Secure/i);
}

async function errorOf(response: Response) {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

function openDatabase(): SQLite.Database {
  return new SQLite(path.join(dataDirectory, SQLITE_FILE_NAME));
}

const admin = new Browser();

describe("AUTH_MODE=password", () => {
  it("sends a signed-out visitor to sign in, where a new server offers the first account", async () => {
    const visitor = new Browser();
    const page = await visitor.get("/");
    expect(page.status).toBe(307);
    expect(page.headers.get("location")).toBe("/sign-in");
    expect((await visitor.get("/api/conversations")).status).toBe(401);
    const signIn = await visitor.get("/sign-in");
    expect(signIn.status).toBe(200);
    expect(await signIn.text()).toContain("Create the first account (it becomes the admin)");
  });

  it("makes the first account the admin and signs it in with an HttpOnly, SameSite=Lax cookie", async () => {
    const response = await admin.post("/api/account/register", { name: "Ada", email: "ada@example.com", password: PASSWORD });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ account: { email: "ada@example.com", role: "admin" } });
    expectSessionCookieAttributes(response);
    expect((await admin.get("/api/conversations")).status).toBe(200);
    expect((await admin.get("/")).status).toBe(200);

    const second = await new Browser().post("/api/account/register", { name: "Eve", email: "eve@example.com", password: PASSWORD });
    expect(second.status).toBe(403);
    expect((await errorOf(second)).message).toBe("Accounts are made from an invitation link; ask an admin.");
  });

  it("sends a signed-in visitor on from the sign-in page, to this site only", async () => {
    const onward = await admin.get("/sign-in?next=%2Fc%2Fsome-conversation");
    expect(onward.status).toBe(307);
    expect(onward.headers.get("location")).toBe("/c/some-conversation");
    for (const elsewhere of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/sign-in"]) {
      const response = await admin.get(`/sign-in?next=${encodeURIComponent(elsewhere)}`);
      expect(response.headers.get("location"), elsewhere).toBe("/");
    }
    const signedOut = await new Browser().get("/sign-in");
    expect(await signedOut.text()).toContain(">Sign in</button>");
  });

  it("signs out: the old cookie no longer opens anything", async () => {
    const browser = new Browser();
    const signIn = await browser.post("/api/auth/sign-in/email", { email: "ADA@example.com", password: PASSWORD });
    expect(signIn.status).toBe(200);
    expectSessionCookieAttributes(signIn);
    const oldCookie = browser.cookies.get(SESSION_COOKIE)!;
    expect((await browser.get("/api/conversations")).status).toBe(200);

    expect((await browser.post("/api/auth/sign-out", {})).status).toBe(200);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    expect((await browser.get("/api/conversations")).status).toBe(401);
    // The session ended on the server too, not just in this browser.
    const replayed = await fetch(`${server.url}/api/conversations`, { headers: { cookie: `${SESSION_COOKIE}=${oldCookie}` } });
    expect(replayed.status).toBe(401);
  });

  it("refuses a wrong password with 401, and an account's attempts past the limit with 429 and Retry-After", async () => {
    const guesser = new Browser();
    const wrong = await guesser.post("/api/auth/sign-in/email", { email: "nobody@example.com", password: "not the password" });
    expect(wrong.status).toBe(401);
    expect(guesser.cookies.has(SESSION_COOKIE)).toBe(false);
    for (let attempt = 2; attempt <= SIGN_IN_ATTEMPTS_PER_ACCOUNT; attempt++) {
      expect((await guesser.post("/api/auth/sign-in/email", { email: "nobody@example.com", password: `guess ${attempt}` })).status).toBe(401);
    }
    const refused = await guesser.post("/api/auth/sign-in/email", { email: "nobody@example.com", password: "one more guess" });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(refused)).message).toMatch(/^Too many sign-in attempts; try again in \d+ minutes?\.$/);
    // Another account, from the same address, is not locked out by these guesses.
    expect((await new Browser().post("/api/auth/sign-in/email", { email: "ada@example.com", password: PASSWORD })).status).toBe(200);
  });

  it("answers a forged, tampered or expired session cookie with 401 on the API and the sign-in page on the page", async () => {
    const browser = new Browser();
    await browser.post("/api/auth/sign-in/email", { email: "ada@example.com", password: PASSWORD });
    const genuine = browser.cookies.get(SESSION_COOKIE)!;
    const [token = "", signature = ""] = decodeURIComponent(genuine).split(".");
    const tampered = encodeURIComponent(`${token}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`);
    const forged = encodeURIComponent(`${"x".repeat(32)}.${"y".repeat(43)}=`);
    for (const value of [forged, tampered, "not-a-session"]) {
      const headers = { cookie: `${SESSION_COOKIE}=${value}` };
      expect((await fetch(`${server.url}/api/conversations`, { headers })).status, value).toBe(401);
      const page = await fetch(`${server.url}/`, { headers, redirect: "manual" });
      expect(page.headers.get("location"), value).toBe("/sign-in");
    }

    expect((await browser.get("/api/conversations")).status).toBe(200);
    const database = openDatabase();
    try {
      const { expiresAt } = database.prepare(`select "expiresAt" from auth_session where token = ?`).get(token) as { expiresAt: string | number };
      const past = Date.now() - 60_000;
      database.prepare(`update auth_session set "expiresAt" = ? where token = ?`).run(typeof expiresAt === "number" ? past : new Date(past).toISOString(), token);
    } finally {
      database.close();
    }
    expect((await browser.get("/api/conversations")).status).toBe(401);
    expect((await browser.get("/")).headers.get("location")).toBe("/sign-in");
  });

  it("makes a member from an invitation link, once; a member is refused the admin's routes", async () => {
    const invited = await admin.post("/api/admin/invitations");
    expect(invited.status).toBe(201);
    const { url } = (await invited.json()) as { url: string };
    const invitationPath = new URL(url).pathname;
    const token = decodeURIComponent(invitationPath.slice("/invite/".length));

    const member = new Browser();
    const page = await member.get(invitationPath);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Create your account");

    const registered = await member.post("/api/account/register", { name: "Bob", email: "bob@example.com", password: PASSWORD, invitation: token });
    expect(registered.status).toBe(201);
    expect(await registered.json()).toMatchObject({ account: { email: "bob@example.com", role: "member" } });
    expectSessionCookieAttributes(registered);
    expect((await member.get("/api/conversations")).status).toBe(200);
    expect((await member.get("/api/admin/members")).status).toBe(403);
    expect((await admin.get("/api/admin/members")).status).toBe(200);

    const used = await new Browser().get(invitationPath);
    expect(await used.text()).toContain("This invitation was used or has expired; ask an admin for a new one.");
    const again = await new Browser().post("/api/account/register", { name: "Carol", email: "carol@example.com", password: PASSWORD, invitation: token });
    expect(again.status).toBe(403);
  });

  it("shows a calm page for each sign-in failure, with the code only where it helps", async () => {
    const disabled = await (await fetch(`${server.url}/sign-in/error?error=account_disabled`)).text();
    expect(disabled).toContain("This account is disabled");
    const unknown = await (await fetch(`${server.url}/sign-in/error?error=weird_thing`)).text();
    expect(unknown).toContain("weird_thing");
    const hostile = await (await fetch(`${server.url}/sign-in/error?error=${encodeURIComponent("<script>alert(1)</script>")}`)).text();
    expect(hostile).not.toContain("<script>alert(1)");
    expect(hostile).toContain("Signing in did not work");
  });
});
