import "server-only";
import { createHash, timingSafeEqual } from "node:crypto";
import { getMetrics } from "@/lib/ops/metrics";

/** The scrape: the registry's text, or 401 when a token is configured and not sent. */
export async function metricsResponse(request: Request, token: string | undefined): Promise<Response> {
  if (token && !sameSecret(bearerOf(request), token)) {
    return new Response("Send the metrics token as Authorization: Bearer <METRICS_TOKEN>.\n", {
      status: 401,
      headers: { "WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  const { registry } = getMetrics();
  return new Response(await registry.metrics(), { headers: { "Content-Type": registry.contentType, "Cache-Control": "no-store" } });
}

function bearerOf(request: Request): string {
  const header = request.headers.get("authorization") ?? "";
  return header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
}

/** Compared in constant time (as hashes, so the lengths need not match). */
function sameSecret(sent: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(sent), digest(expected));
}
