import { deleteAllConversations, listConversations } from "@/lib/history/conversation-api";
import { historyRouteDependencies } from "@/lib/history/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The owner's conversations, newest first: `?q=` searches, `?cursor=` pages. */
export function GET(request: Request): Promise<Response> {
  return listConversations(request, historyRouteDependencies());
}

/** Deletes all of the owner's conversations. */
export function DELETE(request: Request): Promise<Response> {
  return deleteAllConversations(request, historyRouteDependencies());
}
