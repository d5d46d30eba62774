import { adminRouteDependencies, revokeShare } from "@/lib/auth/admin-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = RouteContext<"/api/admin/shares/[id]">;

/** Revokes anyone's share link (admins only). */
export async function DELETE(request: Request, context: Context): Promise<Response> {
  return revokeShare(request, (await context.params).id, adminRouteDependencies());
}
