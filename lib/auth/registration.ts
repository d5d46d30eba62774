import "server-only";
import { getAuthRuntime, hashToken, type AuthRuntime } from "@/lib/auth/identity";
import type { BetterAuth } from "@/lib/auth/better-auth";
import { getLogger } from "@/lib/ops/logger";
import { rejectCrossSite } from "@/lib/security/cross-site";
import { AppError, errorResponse, toAppError } from "@/lib/shared/errors";
import { registrationSchema, type RegisteredAccount, type Registration } from "@/lib/shared/sign-in";
import type { Role } from "@/lib/shared/auth";
import { readSmallText, type SmallBodyLimits } from "@/lib/upload/small-body";

/**
 * POST /api/account/register (AUTH_MODE=password): the only way an account is made, since
 * better-auth's public sign-up is off. The first account on a new server becomes its admin; every
 * later one needs an invitation link from an admin, taken once. The account is made with
 * better-auth's own password hashing and tables, then signed in through better-auth, so the
 * answer carries the same session cookie a sign-in would.
 */

/**
 * The first account's place, kept as a row of the invitations table that only one claim can
 * insert (lib/store/account-store.ts). Not a SHA-256 in hex, so no invitation's hash can equal it.
 */
export const FIRST_ACCOUNT_MARKER = "first-account";

/** An e-mail, a name and a password: a body any longer is not a registration. */
const REGISTRATION_BODY: SmallBodyLimits = { maxBytes: 8_192, tooLarge: "The registration request is too large." };

export async function handleRegistration(request: Request, runtime?: AuthRuntime): Promise<Response> {
  try {
    rejectCrossSite(request);
    const resolved = runtime ?? (await getAuthRuntime());
    if (resolved.settings.mode !== "password" || !resolved.auth) {
      throw new AppError("not_found", "This server does not keep password accounts (AUTH_MODE).");
    }
    const registration = parseRegistration(await readSmallText(request, REGISTRATION_BODY));
    const account = await createAccount(registration, resolved);
    const signedIn = await signIn(resolved.auth, registration, request.headers);
    const headers = new Headers({ "Cache-Control": "no-store" });
    for (const cookie of signedIn.headers.getSetCookie()) headers.append("Set-Cookie", cookie);
    return Response.json({ account }, { status: 201, headers });
  } catch (error) {
    const appError = toAppError(error);
    if (appError.code === "internal_error") {
      getLogger().error({ route: "/api/account/register", event: "registration_failed", message: error instanceof Error ? error.message : String(error) });
    }
    return errorResponse(appError);
  }
}

/**
 * Makes the account, as admin when it is the first, as member from an open invitation; refuses
 * anyone else. The place it took (the first account's, or the invitation) is given back when the
 * account cannot be made, so a taken e-mail does not use up someone's invitation.
 */
export async function createAccount(registration: Registration, runtime: AuthRuntime): Promise<RegisteredAccount> {
  const { accounts } = runtime;
  const { email } = registration;
  let role: Role;
  let giveBack: () => Promise<void>;
  if (await accounts.claimFirstAccount(FIRST_ACCOUNT_MARKER, email)) {
    role = "admin";
    giveBack = () => accounts.releaseFirstAccount(FIRST_ACCOUNT_MARKER);
  } else if (registration.invitation !== undefined) {
    const invitation = hashToken(registration.invitation);
    if (!(await accounts.claimInvitation(invitation, email))) {
      throw new AppError("forbidden", "This invitation was used or has expired; ask an admin for a new one.");
    }
    role = "member";
    giveBack = () => accounts.releaseInvitation(invitation);
  } else {
    throw new AppError("forbidden", "Accounts are made from an invitation link; ask an admin.");
  }
  try {
    return await insertUser(registration, role, runtime);
  } catch (error) {
    await giveBack();
    throw error;
  }
}

async function insertUser({ email, name, password }: Registration, role: Role, runtime: AuthRuntime): Promise<RegisteredAccount> {
  // Checked after the claim, not before: someone without an invitation learns nothing of who has an account.
  if (await runtime.accounts.userByEmail(email)) throw emailTaken();
  const context = await runtime.auth!.$context;
  const hash = await context.password.hash(password);
  let user;
  try {
    user = await context.internalAdapter.createUser({ email, name, emailVerified: false, role }, { method: "email-password" });
  } catch (error) {
    // Two registrations of one e-mail at once: the unique index lets one in.
    if (await runtime.accounts.userByEmail(email)) throw emailTaken();
    throw refusalOf(error) ?? error;
  }
  try {
    await context.internalAdapter.linkAccount({ userId: user.id, providerId: "credential", accountId: user.id, password: hash });
  } catch (error) {
    // A user without its password could never sign in, and would hold the e-mail.
    await context.internalAdapter.deleteUser(user.id);
    throw error;
  }
  return { id: user.id, email: user.email, name: user.name, role };
}

/**
 * Signs the new account in through better-auth, which sets the session cookie. The request's own
 * cookies and origin headers stay behind: this route has checked where the request comes from
 * (rejectCrossSite here, Host and Origin in proxy.ts), and a stale cookie of another session
 * must not make better-auth refuse the sign-in.
 */
async function signIn(auth: BetterAuth, { email, password }: Registration, requestHeaders: Headers): Promise<Response> {
  const headers = new Headers();
  for (const [name, value] of requestHeaders) {
    if (name === "cookie" || name === "origin" || name === "referer" || name.startsWith("sec-fetch-")) continue;
    headers.set(name, value);
  }
  const response = await auth.api.signInEmail({ body: { email, password }, headers, asResponse: true });
  if (!response.ok) throw new Error(`better-auth refused to sign in the new account: ${response.status} ${await response.text()}`);
  return response;
}

function parseRegistration(body: string): Registration {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new AppError("invalid_request", "Send the new account as JSON: {email, name, password}.");
  }
  const parsed = registrationSchema.safeParse(json);
  if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "The new account's details are not valid.");
  return parsed.data;
}

function emailTaken(): AppError {
  return new AppError("invalid_request", "An account with this e-mail exists; sign in instead.");
}

/** better-auth's database hooks refuse some e-mails (AUTH_ALLOWED_DOMAINS) with an APIError: as our own error. */
function refusalOf(error: unknown): AppError | undefined {
  const body = (error as { body?: { code?: unknown; message?: unknown } } | null)?.body;
  if (!body || typeof body.message !== "string") return undefined;
  return new AppError("forbidden", body.message);
}
