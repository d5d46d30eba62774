import { getConfig } from "@/lib/config";
import { checkReadiness } from "@/lib/ops/readiness";
import { getHistoryStore } from "@/lib/store/database";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** 200 when this instance takes work; 503 while it drains for a restart or its database is down. */
export async function GET(): Promise<Response> {
  const config = getConfig();
  const readiness = await checkReadiness(() => getHistoryStore(config));
  return Response.json(readiness, { status: readiness.status === "ready" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
