"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { describeRequestFailure } from "@/lib/client/api-request";
import { signOut, signOutEverywhere } from "@/lib/client/account-api";

export type SignOutScope = "here" | "everywhere";

/** Where a signed-out person lands. */
const SIGNED_OUT_PAGE = "/sign-in";

/** Signing out of this browser or of every session; on success the page goes to sign in. */
export function useSignOut() {
  const router = useRouter();
  const [working, setWorking] = useState<SignOutScope | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (scope: SignOutScope) => {
    setWorking(scope);
    setProblem(null);
    try {
      await (scope === "here" ? signOut() : signOutEverywhere());
      // Replaced, not pushed: Back should not return to a page of the signed-out session.
      router.replace(SIGNED_OUT_PAGE);
    } catch (error) {
      setProblem(describeRequestFailure(error));
      setWorking(null);
    }
  };
  return { working, problem, signOut: (scope: SignOutScope) => void run(scope) };
}
