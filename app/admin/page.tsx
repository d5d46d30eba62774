import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { AdminDashboard } from "@/components/admin/admin-dashboard";
import { AdminsOnly } from "@/components/admin/admins-only";
import { adminOverview } from "@/lib/auth/admin-api";
import { getAuthRuntime } from "@/lib/auth/identity";
import { pageVisitor } from "@/lib/auth/viewer";

export const metadata: Metadata = { title: "Admin · Multimodal Reasoning Agent" };

// Who asks, and what the tables hold, are read per request.
export const dynamic = "force-dynamic";

/**
 * /admin: signed out, sign in first and come back; a member is told the page is an admin's; an
 * admin gets the tables, read here so the page opens with them.
 */
export default async function AdminPage() {
  const visitor = await pageVisitor(await headers());
  if (!visitor.signedIn) redirect(visitor.refusal ? `/sign-in/error?error=${visitor.refusal.code}` : "/sign-in?next=/admin");
  if (visitor.identity.role !== "admin") return <AdminsOnly />;
  const overview = await adminOverview(await getAuthRuntime(), visitor.identity);
  return <AdminDashboard overview={overview} viewer={visitor.viewer} />;
}
