import { accountRouteDependencies, createToken, listTokens } from "@/lib/auth/account-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The person's personal API tokens, newest first: names and last characters, never the tokens. */
export function GET(request: Request): Promise<Response> {
  return listTokens(request, accountRouteDependencies());
}

/** A new token, `{"name": "…"}`: its text is in this answer and nowhere else, ever. */
export function POST(request: Request): Promise<Response> {
  return createToken(request, accountRouteDependencies());
}
