import { adminRouteDependencies, listMembers } from "@/lib/auth/admin-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Every member with their usage over the last 30 days and their last use (admins only). */
export function GET(request: Request): Promise<Response> {
  return listMembers(request, adminRouteDependencies());
}
