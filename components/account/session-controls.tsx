"use client";

import { useSignOut } from "@/components/account/use-sign-out";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";

/** Sign out of this browser (when it has a session of its own), and Sign out everywhere. */
export function SessionControls({ canSignOut }: { canSignOut: boolean }) {
  const { working, problem, signOut } = useSignOut();
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap gap-2">
        {canSignOut && (
          <Button onClick={() => signOut("here")} disabled={working !== null}>
            {working === "here" ? "Signing out…" : "Sign out"}
          </Button>
        )}
        <Button variant="danger" onClick={() => signOut("everywhere")} disabled={working !== null}>
          {working === "everywhere" ? "Signing out everywhere…" : "Sign out everywhere"}
        </Button>
      </div>
      {problem && <Alert>{problem}</Alert>}
    </div>
  );
}
