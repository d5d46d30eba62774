import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { NewAccountForm } from "@/components/sign-in/new-account-form";
import { PasswordSignInForm } from "@/components/sign-in/password-sign-in-form";
import { ProxySignInNote } from "@/components/sign-in/proxy-sign-in-note";
import { SignInCard } from "@/components/sign-in/sign-in-card";
import { SingleSignOn } from "@/components/sign-in/single-sign-on";
import { getAuthRuntime } from "@/lib/auth/identity";
import { pageVisitor } from "@/lib/auth/viewer";
import { getConfig } from "@/lib/config";
import { SIGN_IN_ERROR_PATH, safeNextPath } from "@/lib/shared/sign-in";

export const metadata: Metadata = { title: "Sign in · Multimodal Reasoning Agent", robots: { index: false, follow: false } };

// The mode and whether a first account exists are read per request, not at build.
export const dynamic = "force-dynamic";

/**
 * /sign-in?next=<path>: the way in for the mode the server runs in (AUTH_MODE). Someone already
 * signed in goes straight on to `next`.
 */
export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  const config = getConfig();
  const { mode } = config.auth;
  if (mode === "none") redirect(next);
  const visitor = await pageVisitor(await headers());
  if (visitor.signedIn) redirect(next);
  if (visitor.refusal) redirect(`${SIGN_IN_ERROR_PATH}?error=${encodeURIComponent(visitor.refusal.code)}`);

  if (mode === "proxy") {
    return (
      <SignInCard title="Sign in through your team's proxy">
        <ProxySignInNote headerName={config.auth.proxyHeader} />
      </SignInCard>
    );
  }
  if (mode === "oidc") {
    const providerName = config.auth.oidc?.name ?? "your organisation's account";
    return (
      <SignInCard title="Sign in" lead="This server is for your team; sign in with your organisation's account.">
        <SingleSignOn providerName={providerName} next={next} />
      </SignInCard>
    );
  }
  const { accounts } = await getAuthRuntime(config);
  if ((await accounts.countUsers()) === 0) {
    return (
      <SignInCard title="Create the first account" lead="This server has no accounts yet. The first account becomes its admin, who invites everyone else.">
        <NewAccountForm submitLabel="Create the first account (it becomes the admin)" next={next} />
      </SignInCard>
    );
  }
  return (
    <SignInCard title="Sign in">
      <PasswordSignInForm next={next} />
    </SignInCard>
  );
}
