import { handleAuthRequest } from "@/lib/auth/auth-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** better-auth's endpoints (sign-in, the identity provider's callback, sign-out), in the modes that have them. */
export const GET = handleAuthRequest;
export const POST = handleAuthRequest;
