"use client";

import type { FormEvent } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { TextField } from "@/components/sign-in/text-field";
import { useSubmission } from "@/components/sign-in/use-submission";
import { registerAccount } from "@/lib/client/sign-in";
import { ACCOUNT_NAME_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "@/lib/shared/sign-in";

export interface NewAccountFormProps {
  /** The invitation link's token; none for a new server's first account. */
  invitation?: string;
  submitLabel: string;
  /** Where to go once the account is made (and signed in). */
  next: string;
}

/**
 * A new password account: name, e-mail and the password twice (a typo in a password nobody can
 * see would lock its owner out at once). The server decides whether it may be made.
 */
export function NewAccountForm({ invitation, submitLabel, next }: NewAccountFormProps) {
  const { pending, message, run, refuse } = useSubmission();

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? "");
    if (text("password") !== text("confirm")) {
      refuse("The two passwords differ; type the same password in both fields.");
      return;
    }
    void run(
      () => registerAccount({ name: text("name").trim(), email: text("email").trim(), password: text("password"), invitation }),
      () => location.assign(next),
    );
  }

  return (
    <form onSubmit={submit} className="flex flex-col gap-4" aria-label="Create an account">
      <TextField label="Name" name="name" autoComplete="name" required maxLength={ACCOUNT_NAME_MAX_LENGTH} autoFocus />
      <TextField label="E-mail" name="email" type="email" autoComplete="username" required />
      <TextField
        label="Password"
        name="password"
        type="password"
        autoComplete="new-password"
        required
        minLength={PASSWORD_MIN_LENGTH}
        maxLength={PASSWORD_MAX_LENGTH}
        hint={`At least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words are easy to remember and hard to guess.`}
      />
      <TextField label="Password again" name="confirm" type="password" autoComplete="new-password" required minLength={PASSWORD_MIN_LENGTH} maxLength={PASSWORD_MAX_LENGTH} />
      {message && <Alert data-testid="sign-in-error">{message}</Alert>}
      <Button type="submit" variant="primary" className="w-full" disabled={pending}>
        {pending ? "Creating the account…" : submitLabel}
      </Button>
    </form>
  );
}
