import { adminRouteDependencies, providerUsage } from "@/lib/auth/admin-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Analyses and tokens per provider over the last 30 days (admins only). */
export function GET(request: Request): Promise<Response> {
  return providerUsage(request, adminRouteDependencies());
}
