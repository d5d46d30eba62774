import { sharedImage } from "@/lib/history/conversation-api";
import { historyRouteDependencies } from "@/lib/history/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The image of a shared conversation, for its read-only page. */
export async function GET(request: Request, context: RouteContext<"/s/[token]/image">): Promise<Response> {
  return sharedImage(request, (await context.params).token, historyRouteDependencies());
}
