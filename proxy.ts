import { NextResponse, type NextRequest } from "next/server";
import { getConfig } from "@/lib/config";
import { errorResponse } from "@/lib/shared/errors";
import { createNonce, pageContentSecurityPolicy } from "@/lib/security/content-security-policy";
import { hostAndOriginError } from "@/lib/security/request-host";

/**
 * Runs before every request except POST /api/analyze (see `config`): refuses a Host or Origin this
 * server does not answer to, and gives each response a Content-Security-Policy with a fresh
 * script nonce, which Next reads from the request's own CSP header and puts on its scripts.
 */
export function proxy(request: NextRequest): NextResponse | Response {
  const refusal = hostAndOriginError(request.headers, getConfig().allowedHosts);
  if (refusal) {
    if (request.nextUrl.pathname.startsWith("/api/")) return errorResponse(refusal);
    return new Response(refusal.message, {
      status: refusal.status,
      headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  const policy = pageContentSecurityPolicy(createNonce(), { development: process.env.NODE_ENV === "development" });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  // Not the upload routes: Next's proxy buffers a request body it may need to replay and cuts it
  // at 10 MB, which would break uploads. They check Host and Origin themselves (handle-analyze,
  // handle-structure).
  matcher: ["/((?!api/(?:analyze|structure)(?:/|$)).*)"],
};
