import "server-only";
import { toNextJsHandler } from "better-auth/next-js";
import { OIDC_PROVIDER_ID } from "@/lib/auth/better-auth";
import { getAuthRuntime, type AuthRuntime } from "@/lib/auth/identity";
import { clientAddress } from "@/lib/auth/trusted-proxies";
import { getLogger } from "@/lib/ops/logger";
import { AppError, errorResponse } from "@/lib/shared/errors";
import { readSmallText, type SmallBodyLimits } from "@/lib/upload/small-body";

/** Longest sign-in body read for the attempt limit: an e-mail and a password. */
const SIGN_IN_BODY: SmallBodyLimits = { maxBytes: 8_192, tooLarge: "The sign-in request is too large." };

/**
 * /api/auth/*: better-auth's handler, in the modes that keep sessions (oidc, password); 404 in
 * the others. Password sign-ins are counted first, per account and per address
 * (lib/auth/fair-use.ts), so guessing a password is slow whoever asks.
 */
export async function handleAuthRequest(request: Request): Promise<Response> {
  let runtime: AuthRuntime;
  try {
    runtime = await getAuthRuntime();
  } catch (error) {
    getLogger().error({ route: "/api/auth", event: "auth_unavailable", message: error instanceof Error ? error.message : String(error) });
    return errorResponse(new AppError("history_unavailable", "Signing in is not possible right now: the server's database cannot be reached.", { retryAfterSeconds: 5 }));
  }
  const { auth } = runtime;
  if (!auth) return errorResponse(new AppError("not_found", "This server does not sign people in itself (AUTH_MODE)."));
  const handler = toNextJsHandler(auth);
  if (request.method !== "POST") return handler.GET(request);
  if (new URL(request.url).pathname.endsWith("/sign-in/email")) return signInWithPassword(request, runtime, handler.POST);
  if (new URL(request.url).pathname.endsWith("/sign-in/social")) return signInWithIdentityProvider(request, runtime, handler.POST);
  return handler.POST(request);
}

/**
 * better-auth reads the identity provider's discovery document when it starts, and again at each
 * sign-in for as long as that fails; until then it leaves the provider out and answers the sign-in
 * 404 "Provider not found". Said here as what it is: the identity provider cannot be reached.
 */
async function signInWithIdentityProvider(request: Request, runtime: AuthRuntime, post: (request: Request) => Promise<Response>): Promise<Response> {
  const issuer = runtime.settings.oidc?.issuer;
  const asked = (await request
    .clone()
    .json()
    .catch(() => undefined)) as { provider?: unknown } | undefined;
  const response = await post(request);
  if (response.status !== 404 || issuer === undefined || asked?.provider !== OIDC_PROVIDER_ID) return response;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { code?: unknown } | undefined;
  if (body?.code !== "PROVIDER_NOT_FOUND") return response;
  getLogger().error({ route: "/api/auth", event: "identity_provider_unreachable", issuer });
  return errorResponse(
    new AppError("provider_unavailable", `Signing in is not possible right now: the identity provider (${issuer}) cannot be reached. Try again in a minute; if it goes on, tell this server's admin.`, {
      retryAfterSeconds: 30,
    }),
  );
}

async function signInWithPassword(request: Request, runtime: AuthRuntime, post: (request: Request) => Promise<Response>): Promise<Response> {
  let body: string;
  try {
    body = await readSmallText(request, SIGN_IN_BODY);
  } catch (error) {
    if (error instanceof AppError) return errorResponse(error);
    throw error;
  }
  let account = "";
  try {
    const parsed = JSON.parse(body) as { email?: unknown };
    if (typeof parsed.email === "string") account = parsed.email.trim().toLowerCase();
  } catch {
    // better-auth answers a malformed body itself.
  }
  try {
    await runtime.fairUse.admitSignIn(account, clientAddress(request.headers, runtime.trustedProxies) ?? "unknown");
  } catch (error) {
    if (error instanceof AppError) return errorResponse(error);
    throw error;
  }
  const response = await post(new Request(request.url, { method: "POST", headers: request.headers, body }));
  if (response.ok && account) await runtime.fairUse.signInSucceeded(account);
  return response;
}
