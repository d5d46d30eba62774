import { OIDC_PROVIDER_ID, SIGN_IN_ERROR_PATH, type RegisteredAccount } from "@/lib/shared/sign-in";

/**
 * The sign-in pages' requests: better-auth's endpoints under /api/auth (single sign-on, e-mail and
 * password) and this app's registration. Each resolves to what the page shows next; a refusal
 * carries the server's own sentence, since the server knows why (a wrong password, too many
 * attempts, a used invitation).
 */

export type SignInOutcome = { ok: true } | { ok: false; message: string };

const PROVIDER_UNREACHABLE =
  "Your organisation's sign-in service cannot be reached right now. Wait a minute and try again; if it keeps happening, tell whoever runs this server.";
const UNREACHABLE = "The server could not be reached. Check your connection and try again.";

/**
 * Starts single sign-on: better-auth answers with the identity provider's address (its generic
 * OAuth providers are signed in through /sign-in/social), and the browser goes there. When the
 * provider cannot be used right now (its discovery document did not load), the page says so.
 */
export async function startSingleSignOn(next: string): Promise<SignInOutcome> {
  const response = await post("/api/auth/sign-in/social", {
    provider: OIDC_PROVIDER_ID,
    callbackURL: next,
    errorCallbackURL: SIGN_IN_ERROR_PATH,
    disableRedirect: true,
  });
  if (!response) return { ok: false, message: UNREACHABLE };
  if (response.ok) {
    const { url } = (await response.json()) as { url?: unknown };
    if (typeof url === "string" && /^https?:\/\//.test(url)) {
      location.assign(url);
      return { ok: true };
    }
    return { ok: false, message: "The server did not say where to sign in. Please try again." };
  }
  const refusal = await refusalOf(response);
  // better-auth's answer while the issuer's discovery document cannot be loaded.
  if (refusal.code === "PROVIDER_NOT_FOUND") return { ok: false, message: PROVIDER_UNREACHABLE };
  return { ok: false, message: refusal.message };
}

/** Signs in with an e-mail and password; the session cookie comes with the answer. */
export async function signInWithPassword(email: string, password: string): Promise<SignInOutcome> {
  const response = await post("/api/auth/sign-in/email", { email: email.trim(), password });
  if (!response) return { ok: false, message: UNREACHABLE };
  if (response.ok) return { ok: true };
  return { ok: false, message: (await refusalOf(response)).message };
}

export interface NewAccount {
  name: string;
  email: string;
  password: string;
  /** The invitation link's token; none for the first account. */
  invitation?: string;
}

/** Makes an account (the first, or from an invitation) and signs it in. */
export async function registerAccount(account: NewAccount): Promise<SignInOutcome & { account?: RegisteredAccount }> {
  const response = await post("/api/account/register", account);
  if (!response) return { ok: false, message: UNREACHABLE };
  if (response.ok) return { ok: true, account: ((await response.json()) as { account: RegisteredAccount }).account };
  return { ok: false, message: (await refusalOf(response)).message };
}

async function post(path: string, body: unknown): Promise<Response | undefined> {
  try {
    return await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    return undefined;
  }
}

/** better-auth's code for a wrong e-mail or password; its own sentence is terse. */
const WRONG_PASSWORD = "INVALID_EMAIL_OR_PASSWORD";

/**
 * The refusal's code and sentence. This app's routes answer {error: {code, message}};
 * better-auth's answer {code, message}.
 */
async function refusalOf(response: Response): Promise<{ code: string; message: string }> {
  const fallback = { code: String(response.status), message: `The server refused (HTTP ${response.status}). Please try again.` };
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return fallback;
  }
  const source = (body as { error?: unknown })?.error ?? body;
  const { code, message } = (source ?? {}) as { code?: unknown; message?: unknown };
  if (code === WRONG_PASSWORD) return { code, message: "That e-mail and password do not match an account." };
  if (typeof message !== "string" || !message) return fallback;
  return { code: typeof code === "string" ? code : fallback.code, message };
}
