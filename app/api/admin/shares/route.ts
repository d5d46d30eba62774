import { adminRouteDependencies, listShares } from "@/lib/auth/admin-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Every live share link, whoever made it (admins only). */
export function GET(request: Request): Promise<Response> {
  return listShares(request, adminRouteDependencies());
}
