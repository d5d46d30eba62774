import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { NewAccountForm } from "@/components/sign-in/new-account-form";
import { SignInCard } from "@/components/sign-in/sign-in-card";
import { getAuthRuntime, hashToken } from "@/lib/auth/identity";
import { getConfig } from "@/lib/config";
import { INVITATION_MAX_LENGTH } from "@/lib/shared/sign-in";

// An invitation is for the person it was sent to: search engines are asked to stay away.
export const metadata: Metadata = { title: "Join · Multimodal Reasoning Agent", robots: { index: false, follow: false } };

// Read at request time: a link used a moment ago must say so.
export const dynamic = "force-dynamic";

/** /invite/<token> (AUTH_MODE=password): an admin's invitation link, where the new member makes their account. */
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const config = getConfig();
  if (config.auth.mode !== "password") notFound();
  const { token } = await params;
  const { accounts } = await getAuthRuntime(config);
  const open = token.length <= INVITATION_MAX_LENGTH && (await accounts.invitationOpen(hashToken(token)));
  if (!open) {
    return (
      <SignInCard title="This invitation cannot be used">
        <div className="flex flex-col gap-4 text-sm">
          <p>This invitation was used or has expired; ask an admin for a new one.</p>
          <p className="text-muted-foreground">
            Already have an account?{" "}
            <a href="/sign-in" className="font-medium text-foreground underline underline-offset-2">
              Sign in
            </a>
            .
          </p>
        </div>
      </SignInCard>
    );
  }
  return (
    <SignInCard title="Create your account" lead="You have been invited to this server. Your account is yours alone: your conversations are not shared unless you share them.">
      <NewAccountForm invitation={token} submitLabel="Create the account" next="/" />
    </SignInCard>
  );
}
