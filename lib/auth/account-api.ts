import "server-only";
import { API_TOKEN_PREFIX, getAuthRuntime, hashToken, requireIdentity, type AuthRuntime, type Identity } from "@/lib/auth/identity";
import { answerJson } from "@/lib/ops/json-route";
import {
  createTokenRequestSchema,
  MAX_TOKENS_PER_PERSON,
  USAGE_DAYS,
  type ApiTokenSummary,
  type CreatedToken,
  type TokenList,
  type UsageReport,
} from "@/lib/shared/account-contract";
import { AppError } from "@/lib/shared/errors";
import { type SmallBodyLimits, readSmallJson } from "@/lib/upload/small-body";

/**
 * A person's own account: /api/tokens (personal API tokens), /api/usage and
 * /api/account/sign-out-everywhere. Each route file hands its request here. Everything is the
 * asking person's alone: another person's token id gets the same 404 as an unknown one.
 */
export interface AccountApiDependencies {
  /** Who is asking, and the accounts' queries (lib/auth/identity.ts). */
  auth: () => Promise<AuthRuntime>;
}

/** The process's own dependencies, resolved per request (not at build). */
export function accountRouteDependencies(): AccountApiDependencies {
  return { auth: () => getAuthRuntime() };
}

/** A token request's body is a name: anything bigger is not one. */
const TOKEN_NAME_BODY: SmallBodyLimits = {
  maxBytes: 4_096,
  tooLarge: "The body is too large for a token's name.",
  malformed: 'Send the token\'s name as JSON: {"name": "…"}.',
};
const DAY_MS = 24 * 3600 * 1000;
const noStore = { "Cache-Control": "no-store" };

type Handler = (identity: Identity, runtime: AuthRuntime) => Promise<Response>;

/** Runs a handler for the identified person, turning every failure into the API's JSON error. */
function respond(request: Request, dependencies: AccountApiDependencies, handler: Handler, { changes = false } = {}): Promise<Response> {
  const unavailable = "Your account's data cannot be reached right now. Try again in a moment.";
  return answerJson(request, { changes, unavailable }, async () => {
    const runtime = await dependencies.auth();
    return handler(await requireIdentity(request, runtime), runtime);
  });
}

/** With sign-in off, every request is the local owner already: a token would prove nothing more. */
function refuseTokensWithoutSignIn(runtime: AuthRuntime): void {
  if (runtime.settings.mode === "none") {
    throw new AppError("forbidden", "Sign-in is off on this server (AUTH_MODE=none): every request is the local owner's, so API tokens are neither needed nor offered.");
  }
}

function tokenNotFound(): AppError {
  return new AppError("not_found", "This token does not exist or was already revoked.");
}

/** The person's tokens, newest first, for the route and for the account page alike. */
export async function tokensOf(userId: string, runtime: AuthRuntime): Promise<ApiTokenSummary[]> {
  return runtime.accounts.listTokens(userId);
}

/**
 * The person's usage over the last USAGE_DAYS days per provider, and today's (UTC) tokens against
 * the daily budget: the day the budget counts (lib/auth/fair-use.ts) starts at 00:00 UTC too.
 */
export async function usageReportOf(userId: string, runtime: AuthRuntime, now = new Date()): Promise<UsageReport> {
  const since = new Date(now.getTime() - USAGE_DAYS * DAY_MS);
  const startOfToday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [byProvider, today] = await Promise.all([runtime.accounts.usageOf(userId, since), runtime.accounts.usageOf(userId, startOfToday)]);
  return {
    since: since.toISOString(),
    days: USAGE_DAYS,
    byProvider,
    today: {
      totalTokens: today.reduce((sum, provider) => sum + provider.totalTokens, 0),
      tokensPerDay: runtime.settings.limits.tokensPerDay ?? null,
    },
  };
}

export function listTokens(request: Request, dependencies: AccountApiDependencies): Promise<Response> {
  return respond(request, dependencies, async ({ userId }, runtime) => {
    refuseTokensWithoutSignIn(runtime);
    const body: TokenList = { tokens: await tokensOf(userId, runtime) };
    return Response.json(body, { headers: noStore });
  });
}

export function createToken(request: Request, dependencies: AccountApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async ({ userId, via }, runtime) => {
      refuseTokensWithoutSignIn(runtime);
      // A leaked token must not be able to mint more of itself: new ones come from the page.
      if (via === "token") throw new AppError("forbidden", "An API token cannot create tokens: create tokens on the page (Account).");
      const parsed = createTokenRequestSchema.safeParse(await readSmallJson(request, TOKEN_NAME_BODY));
      if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? 'Send the token\'s name as {"name": "…"}.');
      const { accounts } = runtime;
      if ((await accounts.listTokens(userId)).length >= MAX_TOKENS_PER_PERSON) throw tooManyTokens();
      const created: CreatedToken = await accounts.createToken(userId, parsed.data.name, API_TOKEN_PREFIX, hashToken);
      // Creations at once can all pass the count above: those beyond the limit, newest first (in
      // one order every racer agrees on), give their places back.
      const newestFirst = (await accounts.listTokens(userId)).sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
      const excess = newestFirst.length - MAX_TOKENS_PER_PERSON;
      if (excess > 0 && newestFirst.findIndex((token) => token.id === created.summary.id) < excess) {
        await accounts.deleteToken(userId, created.summary.id);
        throw tooManyTokens();
      }
      return Response.json(created, { status: 201, headers: noStore });
    },
    { changes: true },
  );
}

function tooManyTokens(): AppError {
  return new AppError("invalid_request", `You already have ${MAX_TOKENS_PER_PERSON} API tokens, the most one person may hold: revoke one you no longer use first.`);
}

export function revokeToken(request: Request, tokenId: string, dependencies: AccountApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async ({ userId }, runtime) => {
      refuseTokensWithoutSignIn(runtime);
      if (tokenId.length > 64 || !(await runtime.accounts.deleteToken(userId, tokenId))) throw tokenNotFound();
      return new Response(null, { status: 204, headers: noStore });
    },
    { changes: true },
  );
}

export function usage(request: Request, dependencies: AccountApiDependencies): Promise<Response> {
  return respond(request, dependencies, async ({ userId }, runtime) => Response.json(await usageReportOf(userId, runtime), { headers: noStore }));
}

/**
 * Ends every session of the person's, on every device: for a lost laptop, or a cookie that may
 * have leaked. API tokens are not sessions and keep working (they are revoked one by one).
 */
export function signOutEverywhere(request: Request, dependencies: AccountApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async ({ userId }, runtime) => {
      if (runtime.settings.mode === "none") throw new AppError("forbidden", "Sign-in is off on this server (AUTH_MODE=none): there are no sessions to end.");
      await runtime.accounts.endSessions(userId);
      return new Response(null, { status: 204, headers: noStore });
    },
    { changes: true },
  );
}

