import { adminRouteDependencies, createInvitation } from "@/lib/auth/admin-api";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** A new invitation link, shown once (admins only; AUTH_MODE=password, else 404). */
export function POST(request: Request): Promise<Response> {
  return createInvitation(request, adminRouteDependencies());
}
