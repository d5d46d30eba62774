import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound, redirect } from "next/navigation";
import { SharedConversationView } from "@/components/shared-conversation-view";
import { findSharedConversation } from "@/lib/history/shared-conversation";

// A link's page is for the people given the link: search engines are asked to stay away (and the
// X-Robots-Tag header in next.config.ts says the same to those that read only headers).
export const metadata: Metadata = { robots: { index: false, follow: false } };

// Read at request time: a revoked link must stop working at once.
export const dynamic = "force-dynamic";

/**
 * A shared conversation, read-only; a 404 page for an unknown or revoked link alike. Someone
 * signed out is sent to sign in first, unless the link is public (SHARE_PUBLIC).
 */
export default async function SharedConversationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const page = await findSharedConversation(token, await headers());
  if ("signInFirst" in page) redirect(`/sign-in?next=${encodeURIComponent(`/s/${token}`)}`);
  if ("notFound" in page) notFound();
  return <SharedConversationView conversation={page.found} imageUrl={`/s/${encodeURIComponent(token)}/image`} />;
}
