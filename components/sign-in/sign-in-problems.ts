/**
 * What each refused or failed sign-in means to the person it happened to, by the code in
 * /sign-in/error?error=<code>. The codes are this app's own (lib/auth/better-auth.ts's refusals,
 * lib/shared/errors.ts) and better-auth's OAuth callback codes (better-auth/dist/oauth2/errors,
 * state.mjs, link-account.mjs; a result's words joined by "_"), plus what the identity provider
 * itself sends back (RFC 6749 §4.1.2.1).
 */
export interface SignInProblem {
  title: string;
  /** What happened, in a sentence. */
  explanation: string;
  /** What to do about it. */
  advice: string;
  /** Whether the code itself helps (someone reporting it to an admin); the page shows it then. */
  showCode: boolean;
}

const ASK_AN_ADMIN = "If you should have access, ask an admin of this server.";
const REPORT_IT = "Wait a minute and try again. If it keeps happening, tell whoever runs this server: its log says what went wrong.";

const PROVIDER_UNREACHABLE: SignInProblem = {
  title: "The identity provider could not be reached",
  explanation: "This server could not talk to your organisation's sign-in service, or did not understand its answer.",
  advice: REPORT_IT,
  showCode: true,
};

const INTERRUPTED: SignInProblem = {
  title: "The sign-in expired or was interrupted",
  explanation:
    "The answer from the sign-in service did not match a sign-in this browser started: it took too long, was started again in another tab, or the page was opened from an old link.",
  advice: "Start again from the sign-in page.",
  showCode: false,
};

const ACCOUNT_DISABLED: SignInProblem = {
  title: "This account is disabled",
  explanation: "An admin of this server has disabled your account, so it cannot sign in.",
  advice: "Ask an admin of this server to enable it again.",
  showCode: false,
};

const NOT_LINKED: SignInProblem = {
  title: "This sign-in is not linked to your account here",
  explanation: "An account with your e-mail address exists on this server, but it is not linked to the identity you signed in with.",
  advice: ASK_AN_ADMIN,
  showCode: true,
};

const SERVER_FAILED: SignInProblem = {
  title: "The server could not finish signing you in",
  explanation: "Something went wrong on this server after the sign-in service answered.",
  advice: REPORT_IT,
  showCode: true,
};

const PROBLEMS: Record<string, SignInProblem> = {
  domain_not_allowed: {
    title: "Accounts of that domain may not use this server",
    explanation: "This server admits e-mail addresses of some organisations only, and yours is not one of them.",
    advice: `${ASK_AN_ADMIN} Or sign in again with your work account.`,
    showCode: false,
  },
  forbidden: {
    title: "Your account may not use this server",
    explanation: "You are signed in, but this server does not admit your account.",
    advice: ASK_AN_ADMIN,
    showCode: false,
  },
  account_disabled: ACCOUNT_DISABLED,
  banned_user: ACCOUNT_DISABLED,
  untrusted_proxy_header: {
    title: "Your sign-in did not come through the team's proxy",
    explanation:
      "The request named who you are, but it came from an address that is not the team's reverse proxy, so this server did not believe it.",
    advice: "Open the server through its usual address. If you did, ask whoever runs it to add the proxy's address to AUTH_TRUSTED_PROXIES.",
    showCode: false,
  },
  access_denied: {
    title: "Sign-in was cancelled",
    explanation: "You cancelled at your organisation's sign-in page, or it declined to sign you in to this app.",
    advice: "Try again. If it declines again, ask your IT team whether your account may use this app.",
    showCode: false,
  },
  // The issuer's discovery document did not load (the provider is down or unreachable).
  oauth_provider_not_found: PROVIDER_UNREACHABLE,
  // The code could not be exchanged at the token endpoint (down, or it refused the code).
  invalid_code: PROVIDER_UNREACHABLE,
  unable_to_get_user_info: PROVIDER_UNREACHABLE,
  issuer_missing: PROVIDER_UNREACHABLE,
  issuer_mismatch: PROVIDER_UNREACHABLE,
  server_error: PROVIDER_UNREACHABLE,
  temporarily_unavailable: PROVIDER_UNREACHABLE,
  state_mismatch: INTERRUPTED,
  state_not_found: INTERRUPTED,
  state_invalid: INTERRUPTED,
  state_security_mismatch: INTERRUPTED,
  please_restart_the_process: INTERRUPTED,
  nonce_binding_missing: INTERRUPTED,
  no_code: INTERRUPTED,
  invalid_callback_request: INTERRUPTED,
  email_not_found: {
    title: "The sign-in service did not share your e-mail address",
    explanation: "This server names accounts by e-mail address, and your organisation's sign-in service did not pass one on.",
    advice: "Ask whoever runs this server to let the app read your e-mail address (the email scope) at the identity provider.",
    showCode: true,
  },
  email_not_verified: {
    title: "Your e-mail address is not verified",
    explanation: "Your organisation's sign-in service says your e-mail address has not been verified.",
    advice: "Verify it there, then sign in again.",
    showCode: true,
  },
  account_not_linked: NOT_LINKED,
  unable_to_link_account: NOT_LINKED,
  account_already_linked_to_different_user: NOT_LINKED,
  email_does_not_match: NOT_LINKED,
  signup_disabled: {
    title: "New accounts are not made this way",
    explanation: "This server does not make an account for everyone who signs in.",
    advice: ASK_AN_ADMIN,
    showCode: false,
  },
  unable_to_create_user: SERVER_FAILED,
  unable_to_create_session: SERVER_FAILED,
  unable_to_update_account: SERVER_FAILED,
  internal_server_error: SERVER_FAILED,
  state_generation_error: SERVER_FAILED,
  history_unavailable: SERVER_FAILED,
};

const UNKNOWN: SignInProblem = {
  title: "Signing in did not work",
  explanation: "The sign-in stopped with the code below.",
  advice: "Try again. If it keeps happening, tell an admin of this server the code.",
  showCode: true,
};

/** A code as it may be shown: letters, digits and a few marks, and short; anything else is not one of ours. */
export function readableCode(value: unknown): string | undefined {
  const code = Array.isArray(value) ? value[0] : value;
  return typeof code === "string" && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}

export function signInProblem(code: string | undefined): SignInProblem {
  const key = code?.toLowerCase();
  // Own keys only: "constructor" is a code nobody sends, but an object's prototype has it.
  return key !== undefined && Object.hasOwn(PROBLEMS, key) ? PROBLEMS[key]! : UNKNOWN;
}
