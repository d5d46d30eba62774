import "server-only";
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { APIError } from "better-auth/api";
import { admin } from "better-auth/plugins/admin";
import { genericOAuth } from "better-auth/plugins/generic-oauth";
import type { Kysely } from "kysely";
import type { AuthSettings } from "@/lib/config";
import { PEER_ADDRESS_HEADER } from "@/lib/ops/peer-address";
import type { HistoryDialect } from "@/lib/store/migrations";
import type { HistoryDatabase } from "@/lib/store/schema";

/**
 * better-auth, for the two modes in which this app keeps sessions of its own: `oidc` (single
 * sign-on through the team's identity provider, its generic OAuth plugin with OpenID discovery)
 * and `password` (its e-mail and password accounts, hashed with scrypt). Its tables live in the
 * history's database under the names below (lib/store/migrations.ts makes them).
 *
 * Who may sign in, and as what, is decided here and nowhere else: the allowed e-mail domains and
 * AUTH_ADMINS (oidc), the first account or an invitation (password, lib/auth/accounts.ts).
 */

/** The OAuth provider id: the callback is `${PUBLIC_URL}/api/auth/callback/oidc` (register it at the identity provider). */
export const OIDC_PROVIDER_ID = "oidc";
export const AUTH_BASE_PATH = "/api/auth";
/** Where failed sign-ins land, with `?error=<code>`: a page that says what happened. */
export const SIGN_IN_ERROR_PATH = "/sign-in/error";

/** A session lasts a week, renewed once a day while it is used. */
const SESSION_SECONDS = 7 * 24 * 3600;
const SESSION_RENEW_SECONDS = 24 * 3600;

export const AUTH_TABLES = {
  user: "auth_user",
  session: "auth_session",
  account: "auth_account",
  verification: "auth_verification",
} as const;

/** Why a sign-in was refused, as the error page names it (app/sign-in/error). */
export const SIGN_IN_REFUSALS = {
  domain_not_allowed: "domain_not_allowed",
  account_disabled: "account_disabled",
} as const;

export interface AuthDatabase {
  db: Kysely<HistoryDatabase>;
  dialect: HistoryDialect;
}

export function betterAuthOptions(settings: AuthSettings, database: AuthDatabase): BetterAuthOptions {
  const secureCookies = settings.publicUrl?.startsWith("https://") ?? false;
  return {
    appName: "Multimodal Reasoning Agent",
    secret: settings.secret,
    baseURL: settings.publicUrl,
    basePath: AUTH_BASE_PATH,
    trustedOrigins: settings.publicUrl ? [new URL(settings.publicUrl).origin] : [],
    database: { db: database.db, type: database.dialect },
    user: { modelName: AUTH_TABLES.user },
    // No cookie cache: every request reads the session row, so a signed-out-everywhere or
    // disabled member is refused on their next request, not minutes later.
    session: { modelName: AUTH_TABLES.session, expiresIn: SESSION_SECONDS, updateAge: SESSION_RENEW_SECONDS },
    account: { modelName: AUTH_TABLES.account },
    verification: { modelName: AUTH_TABLES.verification },
    emailAndPassword: {
      enabled: settings.mode === "password",
      // Accounts are made by lib/auth/accounts.ts (the first one, or from an invitation), never
      // by the public sign-up endpoint.
      disableSignUp: true,
      minPasswordLength: 10,
      maxPasswordLength: 200,
    },
    // Sign-in attempts are limited per account and per address by lib/auth/fair-use.ts, in the
    // shared database and by the real client address; better-auth's own limiter would trust
    // X-Forwarded-For from anyone.
    rateLimit: { enabled: false },
    advanced: {
      useSecureCookies: secureCookies,
      defaultCookieAttributes: { httpOnly: true, sameSite: "lax", secure: secureCookies },
      ipAddress: { ipAddressHeaders: [PEER_ADDRESS_HEADER] },
    },
    onAPIError: { errorURL: SIGN_IN_ERROR_PATH },
    databaseHooks: {
      user: {
        create: {
          before: async (user) => {
            const email = user.email.toLowerCase();
            refuseOutsideAllowedDomains(settings, email);
            return { data: { ...user, email, role: settings.admins.includes(email) ? "admin" : (user as { role?: string }).role ?? "member" } };
          },
        },
      },
      session: {
        create: {
          // Each sign-in: the domain rule and AUTH_ADMINS as they are now, not as at the first.
          before: async (session, context) => {
            if (!context) return;
            const user = await context.context.internalAdapter.findUserById(session.userId);
            if (!user) return;
            refuseOutsideAllowedDomains(settings, user.email.toLowerCase());
            if (settings.mode === "oidc") {
              const role = settings.admins.includes(user.email.toLowerCase()) ? "admin" : "member";
              if ((user as { role?: string }).role !== role) await context.context.internalAdapter.updateUser(user.id, { role });
            }
          },
        },
      },
    },
    plugins: [
      admin({ defaultRole: "member", adminRoles: ["admin"], bannedUserMessage: "An admin has disabled this account." }),
      ...(settings.mode === "oidc" && settings.oidc
        ? [
            genericOAuth({
              config: [
                {
                  providerId: OIDC_PROVIDER_ID,
                  name: settings.oidc.name,
                  discoveryUrl: `${settings.oidc.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
                  requireIdTokenVerification: true,
                  clientId: settings.oidc.clientId,
                  clientSecret: settings.oidc.clientSecret,
                  scopes: ["openid", "email", "profile"],
                  pkce: true,
                },
              ],
            }),
          ]
        : []),
    ],
  };
}

function refuseOutsideAllowedDomains(settings: AuthSettings, email: string) {
  if (settings.allowedDomains.length === 0) return;
  const domain = email.slice(email.lastIndexOf("@") + 1);
  if (!settings.allowedDomains.includes(domain)) {
    throw new APIError("FORBIDDEN", { code: SIGN_IN_REFUSALS.domain_not_allowed, message: `Accounts of ${domain} may not use this server.` });
  }
}

export type BetterAuth = ReturnType<typeof betterAuth>;

export function createBetterAuth(settings: AuthSettings, database: AuthDatabase): BetterAuth {
  return betterAuth(betterAuthOptions(settings, database));
}
