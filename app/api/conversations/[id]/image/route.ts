import { conversationImage } from "@/lib/history/conversation-api";
import { historyRouteDependencies } from "@/lib/history/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The prepared image the model saw; `?size=thumb` for the history list's thumbnail. */
export async function GET(request: Request, context: RouteContext<"/api/conversations/[id]/image">): Promise<Response> {
  return conversationImage(request, (await context.params).id, historyRouteDependencies());
}
