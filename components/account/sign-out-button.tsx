"use client";

import { useSignOut } from "@/components/account/use-sign-out";

/** Sign out, for the page's header: styled by the caller to sit among its links. */
export function SignOutButton({ className }: { className?: string }) {
  const { working, problem, signOut } = useSignOut();
  return (
    <button type="button" onClick={() => signOut("here")} disabled={working !== null} title={problem ?? undefined} className={className}>
      {problem ? "Sign out failed: retry" : "Sign out"}
    </button>
  );
}
