import { accountRouteDependencies, revokeToken } from "@/lib/auth/account-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = RouteContext<"/api/tokens/[id]">;

/** Revokes one of the person's tokens: scripts sending it are refused from the next request. */
export async function DELETE(request: Request, context: Context): Promise<Response> {
  return revokeToken(request, (await context.params).id, accountRouteDependencies());
}
