"use client";

import { useState } from "react";
import type { SignInOutcome } from "@/lib/client/sign-in";

/**
 * A sign-in form's one request at a time: pending while it runs (the button waits), the server's
 * sentence when it is refused, and the next page when it succeeds. A success keeps the form
 * pending: the browser is already on its way to the next page.
 */
export function useSubmission() {
  const [pending, setPending] = useState(false);
  const [message, setMessage] = useState<string | undefined>();

  async function run(request: () => Promise<SignInOutcome>, then?: () => void) {
    if (pending) return;
    setPending(true);
    setMessage(undefined);
    const outcome = await request();
    if (outcome.ok) {
      then?.();
      return;
    }
    setMessage(outcome.message);
    setPending(false);
  }

  return { pending, message, run, refuse: setMessage };
}
