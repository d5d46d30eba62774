import { SignOutButton } from "@/components/account/sign-out-button";
import type { Viewer } from "@/lib/shared/auth";

/**
 * Who is signed in, and the ways to their account page and (for admins) the admin page. The local
 * owner of AUTH_MODE=none has no account to show, but may still see usage and the admin page.
 */
export function AccountMenu({ viewer }: { viewer: Viewer }) {
  const who = viewer.email ?? "Local owner";
  return (
    <nav aria-label="Account" className="flex items-center gap-2 text-sm">
      {/* A long address is cut, the role beside it never is. */}
      <span className="flex min-w-0 items-center gap-1">
        <span className="max-w-48 truncate text-muted-foreground" title={who}>
          {who}
        </span>
        {viewer.role === "admin" && viewer.mode !== "none" && <span className="shrink-0 rounded bg-muted px-1.5 py-0.5 text-xs text-foreground">admin</span>}
      </span>
      <a href="/account" className="rounded-md border border-border bg-card px-2.5 py-1 hover:bg-muted focus-visible:outline-2">
        Account
      </a>
      {viewer.role === "admin" && (
        <a href="/admin" className="rounded-md border border-border bg-card px-2.5 py-1 hover:bg-muted focus-visible:outline-2">
          Admin
        </a>
      )}
      {viewer.canSignOut && <SignOutButton className="rounded-md border border-border bg-card px-2.5 py-1 hover:bg-muted focus-visible:outline-2 disabled:opacity-50" />}
    </nav>
  );
}
