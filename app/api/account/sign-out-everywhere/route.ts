import { accountRouteDependencies, signOutEverywhere } from "@/lib/auth/account-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Ends every session of the person's, on every device. */
export function POST(request: Request): Promise<Response> {
  return signOutEverywhere(request, accountRouteDependencies());
}
