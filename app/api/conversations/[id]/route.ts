import { deleteConversation, getConversation, renameConversation } from "@/lib/history/conversation-api";
import { historyRouteDependencies } from "@/lib/history/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = RouteContext<"/api/conversations/[id]">;

export async function GET(request: Request, context: Context): Promise<Response> {
  return getConversation(request, (await context.params).id, historyRouteDependencies());
}

/** Renames it: `{"title": "…"}`. */
export async function PATCH(request: Request, context: Context): Promise<Response> {
  return renameConversation(request, (await context.params).id, historyRouteDependencies());
}

export async function DELETE(request: Request, context: Context): Promise<Response> {
  return deleteConversation(request, (await context.params).id, historyRouteDependencies());
}
