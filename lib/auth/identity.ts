import "server-only";
import { createHash } from "node:crypto";
import type { BlockList } from "node:net";
import { createBetterAuth, type BetterAuth } from "@/lib/auth/better-auth";
import { createFairUse, type FairUse } from "@/lib/auth/fair-use";
import { isTrusted, parseTrustedProxies } from "@/lib/auth/trusted-proxies";
import { getConfig, type AppConfig, type AuthSettings } from "@/lib/config";
import { peerAddressOf } from "@/lib/ops/peer-address";
import { AccountStore } from "@/lib/store/account-store";
import { getDatabase, type Database } from "@/lib/store/database";
import type { Role, Viewer } from "@/lib/shared/auth";
import { AppError } from "@/lib/shared/errors";

/**
 * Who is asking: the one question every route and page asks before it reads or changes anything.
 * Each mode answers it its own way (docs/deploy.md, "Hosting for a team"); everything after works
 * with an Identity, whose `userId` owns conversations, images, share links, tokens and usage.
 */
export interface Identity {
  userId: string;
  /** Null for the local owner. */
  email: string | null;
  name: string | null;
  role: Role;
  /** How the request proved it: the local owner, a session cookie, an API token, the proxy's header. */
  via: "local" | "session" | "token" | "proxy";
}

/** AUTH_MODE=none: every request is this one owner, an admin of their own machine. */
export const LOCAL_OWNER_ID = "local";
const LOCAL_OWNER: Identity = { userId: LOCAL_OWNER_ID, email: null, name: null, role: "admin", via: "local" };

/** Personal API tokens start with this, so a leaked one is recognisable (and scannable) as ours. */
export const API_TOKEN_PREFIX = "mra_";

/** What identifying a request needs from the process, opened once (lib/store/database.ts). */
export interface AuthRuntime {
  settings: AuthSettings;
  database: Database;
  accounts: AccountStore;
  /** better-auth, in the modes that keep sessions of their own (oidc, password). */
  auth: BetterAuth | undefined;
  trustedProxies: BlockList;
  fairUse: FairUse;
}

const holder = ((globalThis as { [key: symbol]: { runtime?: Promise<AuthRuntime>; database?: Database } })[
  Symbol.for("multimodal-reasoning-agent.auth")
] ??= {});

/** The process's AuthRuntime, over the process's database. */
export async function getAuthRuntime(config: AppConfig = getConfig()): Promise<AuthRuntime> {
  const database = await getDatabase(config);
  if (!holder.runtime || holder.database !== database) {
    holder.database = database;
    holder.runtime = Promise.resolve(createAuthRuntime(config.auth, database));
  }
  return holder.runtime;
}

export function createAuthRuntime(settings: AuthSettings, database: Database): AuthRuntime {
  const needsSessions = settings.mode === "oidc" || settings.mode === "password";
  return {
    settings,
    database,
    accounts: new AccountStore(database.db),
    auth: needsSessions ? createBetterAuth(settings, database) : undefined,
    trustedProxies: parseTrustedProxies(settings.trustedProxies).list,
    fairUse: createFairUse(database.driver, settings.limits),
  };
}

/**
 * The identity a request proves, or undefined when it proves none (signed out). Throws an
 * AppError when it claims one it may not: a proxy header from an untrusted address, a disabled
 * account, a token that is not one.
 */
export async function identify(headers: Headers, runtime: AuthRuntime): Promise<Identity | undefined> {
  const { settings } = runtime;
  if (settings.mode === "none") return LOCAL_OWNER;
  if (settings.mode === "proxy") {
    const proxied = await identifyByProxyHeader(headers, runtime);
    if (proxied) return proxied;
  }
  const bearer = bearerToken(headers);
  if (bearer !== undefined) return identifyByToken(bearer, runtime);
  if (runtime.auth) return identifyBySession(headers, runtime.auth, runtime);
  return undefined;
}

/** Like identify, but a request that proves no identity is refused with 401. */
export async function requireIdentity(request: Request | Headers, runtime?: AuthRuntime): Promise<Identity> {
  const headers = request instanceof Headers ? request : request.headers;
  const identity = await identify(headers, runtime ?? (await getAuthRuntime()));
  if (!identity) throw signInNeeded();
  return identity;
}

/** An admin's identity, or 403 (401 when signed out). */
export async function requireAdmin(request: Request | Headers, runtime?: AuthRuntime): Promise<Identity> {
  const identity = await requireIdentity(request, runtime);
  if (identity.role !== "admin") throw new AppError("forbidden", "Only an admin can do this.");
  return identity;
}

export function signInNeeded(): AppError {
  return new AppError("unauthorized", "Sign in to use this server: open its page, or send a personal API token as Authorization: Bearer.");
}

/** The signed-in person as the page shows them. */
export function viewerOf(identity: Identity, settings: AuthSettings): Viewer {
  return {
    mode: settings.mode,
    email: identity.email,
    name: identity.name,
    role: identity.role,
    sharePublic: settings.sharePublic,
    canSignOut: identity.via === "session",
  };
}

async function identifyByProxyHeader(headers: Headers, runtime: AuthRuntime): Promise<Identity | undefined> {
  const claimed = headers.get(runtime.settings.proxyHeader)?.trim();
  if (!claimed) return undefined;
  const peer = peerAddressOf(headers);
  if (!peer || !isTrusted(runtime.trustedProxies, peer)) {
    throw new AppError("untrusted_proxy_header", `The ${runtime.settings.proxyHeader} header is accepted only from the team's proxy.`);
  }
  const email = claimed.toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(email) || email.length > 254) throw new AppError("unauthorized", "The proxy passed an e-mail address that is not one.");
  const domain = email.slice(email.lastIndexOf("@") + 1);
  if (runtime.settings.allowedDomains.length > 0 && !runtime.settings.allowedDomains.includes(domain)) {
    throw new AppError("forbidden", `Accounts of ${domain} may not use this server.`);
  }
  const role: Role = runtime.settings.admins.includes(email) ? "admin" : "member";
  const user = await runtime.accounts.proxyUser(email, role);
  if (user.banned) throw accountDisabled();
  return { userId: user.id, email, name: user.name, role: user.role, via: "proxy" };
}

function bearerToken(headers: Headers): string | undefined {
  const value = headers.get("authorization");
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match ? match[1] : "";
}

async function identifyByToken(token: string, runtime: AuthRuntime): Promise<Identity> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) throw invalidToken();
  const user = await runtime.accounts.userForToken(hashToken(token));
  if (!user) throw invalidToken();
  if (user.banned) throw accountDisabled();
  return { userId: user.id, email: user.email, name: user.name, role: user.role, via: "token" };
}

async function identifyBySession(headers: Headers, auth: BetterAuth, runtime: AuthRuntime): Promise<Identity | undefined> {
  const found = await auth.api.getSession({ headers });
  if (!found) return undefined;
  const user = found.user as typeof found.user & { role?: string | null; banned?: boolean | null };
  if (user.banned) {
    await runtime.accounts.endSessions(user.id);
    throw accountDisabled();
  }
  return { userId: user.id, email: user.email, name: user.name, role: user.role === "admin" ? "admin" : "member", via: "session" };
}

function invalidToken(): AppError {
  return new AppError("unauthorized", "The API token is not valid: it may have been revoked. Create a new one on the page (Account).");
}

export function accountDisabled(): AppError {
  return new AppError("account_disabled", "An admin has disabled this account.");
}

/** Tokens and links are stored as their SHA-256: the database never holds a working one. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
