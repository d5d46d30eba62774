import Link from "next/link";
import { AccountSection } from "@/components/account/account-section";
import { ApiTokens } from "@/components/account/api-tokens";
import { IdentitySummary } from "@/components/account/identity-summary";
import { SessionControls } from "@/components/account/session-controls";
import { UsageSummary } from "@/components/account/usage-summary";
import { buttonClassName } from "@/components/ui/button";
import type { ApiTokenSummary, UsageReport } from "@/lib/shared/account-contract";
import type { Viewer } from "@/lib/shared/auth";

export interface AccountViewProps {
  viewer: Viewer;
  usage: UsageReport;
  /** Null when sign-in is off: there are no tokens then. */
  tokens: ApiTokenSummary[] | null;
}

/** The account page: who you are, your usage, your API tokens and your sessions. */
export function AccountView({ viewer, usage, tokens }: AccountViewProps) {
  return (
    <main className="mx-auto flex max-w-3xl flex-col gap-6 px-4 py-6 sm:px-8 sm:py-10">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <p className="text-sm text-muted-foreground">Multimodal Reasoning Agent</p>
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Account</h1>
        </div>
        <Link href="/" className={buttonClassName("outline", "bg-card")}>
          <span aria-hidden="true">← </span>Back to the workspace
        </Link>
      </header>
      <IdentitySummary viewer={viewer} />
      <UsageSummary usage={usage} />
      {viewer.mode === "none" || tokens === null ? <SignInOff /> : <TokensAndSessions viewer={viewer} tokens={tokens} />}
    </main>
  );
}

function SignInOff() {
  return (
    <AccountSection id="account-sign-in-off" title="API tokens and sessions">
      <p className="text-sm" data-testid="sign-in-off">
        Sign-in is off on this server (AUTH_MODE=none): every request is the local owner&apos;s, so there are no API tokens to create and no sessions
        to end.
      </p>
    </AccountSection>
  );
}

function TokensAndSessions({ viewer, tokens }: { viewer: Viewer; tokens: ApiTokenSummary[] }) {
  return (
    <>
      <ApiTokens initialTokens={tokens} />
      {viewer.mode === "proxy" ? (
        <AccountSection id="account-sessions" title="Signing out">
          <p className="text-sm">Your team&apos;s sign-in proxy signs you in to this server and out of it: sign out there.</p>
        </AccountSection>
      ) : (
        <AccountSection
          id="account-sessions"
          title="Sessions"
          description="Sign out everywhere ends every session of yours, on every device and browser, this one included. API tokens keep working until you revoke them."
        >
          <SessionControls canSignOut={viewer.canSignOut} />
        </AccountSection>
      )}
    </>
  );
}
