import { shareConversation, stopSharing } from "@/lib/history/conversation-api";
import { historyRouteDependencies } from "@/lib/history/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = RouteContext<"/api/conversations/[id]/share">;

/** A new read-only link: `{"url": "…/s/<token>"}`. */
export async function POST(request: Request, context: Context): Promise<Response> {
  return shareConversation(request, (await context.params).id, historyRouteDependencies());
}

/** Revokes every link to the conversation. */
export async function DELETE(request: Request, context: Context): Promise<Response> {
  return stopSharing(request, (await context.params).id, historyRouteDependencies());
}
