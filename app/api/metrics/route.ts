import { getConfig } from "@/lib/config";
import { metricsResponse } from "@/lib/ops/metrics-route";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Prometheus metrics, text exposition format; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`. */
export function GET(request: Request): Promise<Response> {
  return metricsResponse(request, getConfig().metricsToken);
}
