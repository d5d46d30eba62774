"use client";

import type { FormEvent } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/sign-in/text-field";
import { useSubmission } from "@/components/sign-in/use-submission";
import { signInWithPassword } from "@/lib/client/sign-in";
import { PASSWORD_MAX_LENGTH } from "@/lib/shared/sign-in";

/** AUTH_MODE=password: an account's e-mail and password; the server's sentence when it refuses. */
export function PasswordSignInForm({ next }: { next: string }) {
  const { pending, message, run } = useSubmission();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    void run(
      () => signInWithPassword(String(form.get("email") ?? ""), String(form.get("password") ?? "")),
      () => location.assign(next),
    );
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Sign in">
      <TextField label="E-mail" name="email" type="email" autoComplete="username" required autoFocus />
      <TextField label="Password" name="password" type="password" autoComplete="current-password" required maxLength={PASSWORD_MAX_LENGTH} />
      {message && <Alert data-testid="sign-in-error">{message}</Alert>}
      <Button type="submit" variant="primary" className="w-full" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
      <p className="text-xs text-muted-foreground">No account yet? An admin of this server can send you an invitation link.</p>
    </form>
  );
}
