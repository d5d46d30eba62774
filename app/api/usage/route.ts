import { accountRouteDependencies, usage } from "@/lib/auth/account-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The person's own usage: the last 30 days per provider, and today's tokens against the budget. */
export function GET(request: Request): Promise<Response> {
  return usage(request, accountRouteDependencies());
}
