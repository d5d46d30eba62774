import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { AccountView } from "@/components/account/account-view";
import { tokensOf, usageReportOf } from "@/lib/auth/account-api";
import { getAuthRuntime } from "@/lib/auth/identity";
import { pageVisitor } from "@/lib/auth/viewer";

export const metadata: Metadata = { title: "Account · Multimodal Reasoning Agent" };

// Who is asking, and their usage, are read per request.
export const dynamic = "force-dynamic";

/** The signed-in person's own page: who they are, their usage, API tokens and sessions. */
export default async function AccountPage() {
  const visitor = await pageVisitor(await headers());
  // Refused (a disabled account, an untrusted proxy header): the sign-in error page says why.
  if (!visitor.signedIn) redirect(visitor.refusal ? `/sign-in/error?error=${visitor.refusal.code}` : "/sign-in?next=/account");
  const { identity, viewer } = visitor;
  const runtime = await getAuthRuntime();
  const [usage, tokens] = await Promise.all([usageReportOf(identity.userId, runtime), viewer.mode === "none" ? null : tokensOf(identity.userId, runtime)]);
  return <AccountView viewer={viewer} usage={usage} tokens={tokens} />;
}
