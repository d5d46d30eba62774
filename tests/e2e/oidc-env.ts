import { randomBytes } from "node:crypto";
import path from "node:path";
import { CONTROL_PATH, type OidcTestUser } from "../helpers/oidc-provider";
import { E2E_DATA_DIR } from "./e2e-env";

/**
 * The second app server of the Playwright run, in AUTH_MODE=oidc, and the OpenID provider it signs
 * people in through (tests/e2e/oidc-server.ts, a process of its own): their addresses and shared
 * settings, for playwright.config.ts and the oidc-*.spec.ts specs. Fixed loopback ports, because
 * the provider must know the app's callback URL and the app the provider's issuer before either
 * starts; override them when something else already listens there.
 */
export const OIDC_APP_PORT = Number(process.env.E2E_OIDC_APP_PORT ?? 3108);
export const OIDC_APP_URL = `http://127.0.0.1:${OIDC_APP_PORT}`;
/** Registered at the provider character for character: 127.0.0.1, not localhost. */
export const OIDC_CALLBACK_URL = `${OIDC_APP_URL}/api/auth/callback/oidc`;

export const OIDC_PROVIDER_PORT = Number(process.env.E2E_OIDC_PROVIDER_PORT ?? 4318);
export const OIDC_ISSUER = `http://127.0.0.1:${OIDC_PROVIDER_PORT}`;
export const OIDC_CLIENT_ID = "mra-e2e";
/**
 * Chosen once by the runner and inherited, through the environment, by its workers and by the
 * servers it starts (as E2E_DATA_DIR is).
 */
export const OIDC_CLIENT_SECRET: string = (process.env.E2E_OIDC_CLIENT_SECRET ??= randomBytes(24).toString("base64url"));
export const OIDC_AUTH_SECRET: string = (process.env.E2E_OIDC_AUTH_SECRET ??= randomBytes(32).toString("base64url"));
/** Inside the run's own history folder, which the global setup's teardown removes. */
export const OIDC_DATA_DIR = path.join(E2E_DATA_DIR, "oidc");

/** AUTH_ALLOWED_DOMAINS of the oidc server. */
export const OIDC_ALLOWED_DOMAIN = "example.test";
/** In AUTH_ADMINS. */
export const OIDC_ADMIN: OidcTestUser = { email: "alice@example.test", name: "Alice Admin" };
export const OIDC_MEMBER: OidcTestUser = { email: "bob@example.test", name: "Bob Member" };

/** The specs' side of the provider's control endpoint (startOidcProvider's `control` option). */
export const oidcProvider = {
  /** Who signs in at the provider from now on, until changed. */
  signInNext: (user: OidcTestUser) => post("next-user", user),
  /** While true, every sign-in comes back to the app with error=access_denied. */
  refuseSignIns: (refuse: boolean) => post("refuse-sign-ins", { refuse }),
};

async function post(action: string, body: object): Promise<void> {
  const response = await fetch(`${OIDC_ISSUER}${CONTROL_PATH}${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 204) throw new Error(`OIDC provider control ${action}: HTTP ${response.status} ${await response.text()}`);
}
