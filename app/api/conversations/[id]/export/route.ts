import { exportConversation } from "@/lib/history/conversation-api";
import { historyRouteDependencies } from "@/lib/history/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** A download of the conversation: `?format=md` (the default) or `?format=json`. */
export async function GET(request: Request, context: RouteContext<"/api/conversations/[id]/export">): Promise<Response> {
  return exportConversation(request, (await context.params).id, historyRouteDependencies());
}
