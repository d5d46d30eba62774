import { z } from "zod";

/**
 * What the sign-in pages and the registration route agree on: the new account's fields and their
 * limits (the form's attributes and the server's check), and where a sign-in may return to.
 */

/** Where failed sign-ins land, with `?error=<code>` (the same path as lib/auth/better-auth.ts's SIGN_IN_ERROR_PATH). */
export const SIGN_IN_ERROR_PATH = "/sign-in/error";
/** better-auth's id for the team's identity provider (lib/auth/better-auth.ts, OIDC_PROVIDER_ID). */
export const OIDC_PROVIDER_ID = "oidc";

export const ACCOUNT_NAME_MAX_LENGTH = 80;
/** The same bounds better-auth checks at sign-in (lib/auth/better-auth.ts). */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
/** An invitation link's token is far shorter; anything longer is not one. */
export const INVITATION_MAX_LENGTH = 200;

/** POST /api/account/register: the first account, or one made from an invitation link. */
export const registrationSchema = z.object({
  email: z
    .string()
    .trim()
    .toLowerCase()
    .max(254, "That e-mail address is too long.")
    .pipe(z.email("Enter an e-mail address such as ada@example.com.")),
  name: z
    .string()
    .trim()
    .min(1, "Enter your name.")
    .max(ACCOUNT_NAME_MAX_LENGTH, `A name has at most ${ACCOUNT_NAME_MAX_LENGTH} characters.`),
  password: z
    .string()
    .min(PASSWORD_MIN_LENGTH, `A password has at least ${PASSWORD_MIN_LENGTH} characters.`)
    .max(PASSWORD_MAX_LENGTH, `A password has at most ${PASSWORD_MAX_LENGTH} characters.`),
  invitation: z.string().min(1).max(INVITATION_MAX_LENGTH, "That invitation link is not one of this server's.").optional(),
});

export type Registration = z.infer<typeof registrationSchema>;

/** The new account, as the registration route answers with it. */
export interface RegisteredAccount {
  id: string;
  email: string;
  name: string;
  role: "admin" | "member";
}

/**
 * Where to go after signing in: a path on this site only, so a link cannot send someone who signs
 * in to another site (`//evil.example` and `/\evil.example` are other sites to a browser). The
 * sign-in pages themselves are not destinations: a signed-in visitor is sent on from them.
 */
export function safeNextPath(value: unknown): string {
  const candidate = Array.isArray(value) ? value[0] : value;
  if (typeof candidate !== "string" || candidate.length > 2_000) return "/";
  if (!candidate.startsWith("/") || candidate.startsWith("//") || candidate.startsWith("/\\")) return "/";
  // Control characters (a tab or newline inside "//") are dropped by URL parsers, which would make it another site.
  if (/[\u0000-\u001f\u007f\\]/.test(candidate)) return "/";
  if (candidate === "/sign-in" || candidate.startsWith("/sign-in/") || candidate.startsWith("/sign-in?") || candidate.startsWith("/api/")) return "/";
  return candidate;
}
