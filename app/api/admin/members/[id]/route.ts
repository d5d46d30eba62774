import { adminRouteDependencies, updateMember } from "@/lib/auth/admin-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = RouteContext<"/api/admin/members/[id]">;

/** Disables or enables a member: `{"disabled": true}` (admins only, never themself). */
export async function PATCH(request: Request, context: Context): Promise<Response> {
  return updateMember(request, (await context.params).id, adminRouteDependencies());
}
