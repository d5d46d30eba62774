import { handleRegistration } from "@/lib/auth/registration";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** A new password account: the first one (the admin) or one from an invitation link (lib/auth/registration.ts). */
export function POST(request: Request): Promise<Response> {
  return handleRegistration(request);
}
