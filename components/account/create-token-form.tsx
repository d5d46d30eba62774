"use client";

import { useId, useState, type FormEvent } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { describeRequestFailure } from "@/lib/client/api-request";
import { createToken } from "@/lib/client/account-api";
import { MAX_TOKEN_NAME_CHARS, MAX_TOKENS_PER_PERSON, tokenNameSchema, type CreatedToken } from "@/lib/shared/account-contract";

export interface CreateTokenFormProps {
  /** How many tokens the person holds: at the most, the form says so instead of failing. */
  tokenCount: number;
  onCreated(created: CreatedToken): void;
}

/** A name, and Create token. */
export function CreateTokenForm({ tokenCount, onCreated }: CreateTokenFormProps) {
  const [name, setName] = useState("");
  const [working, setWorking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const inputId = useId();
  const full = tokenCount >= MAX_TOKENS_PER_PERSON;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const checked = tokenNameSchema.safeParse(name);
    if (!checked.success) {
      setProblem(checked.error.issues[0]?.message ?? "Give the token a name.");
      return;
    }
    setWorking(true);
    try {
      const created = await createToken(checked.data);
      setName("");
      setProblem(null);
      onCreated(created);
    } catch (error) {
      setProblem(describeRequestFailure(error));
    } finally {
      setWorking(false);
    }
  };
  return (
    <form aria-label="Create an API token" onSubmit={(event) => void submit(event)} className="flex flex-col gap-2">
      <label htmlFor={inputId} className="text-sm font-medium">
        Token name
      </label>
      <div className="flex flex-col gap-2 sm:flex-row">
        <input
          id={inputId}
          value={name}
          maxLength={MAX_TOKEN_NAME_CHARS}
          disabled={full}
          autoComplete="off"
          placeholder="Such as “CI pipeline”"
          onChange={(event) => setName(event.target.value)}
          className="min-w-0 flex-1 rounded-md border border-input bg-background px-3 py-2 text-sm placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-50"
        />
        <Button variant="primary" type="submit" disabled={working || full}>
          Create token
        </Button>
      </div>
      {full && (
        <p className="text-sm text-muted-foreground">
          You hold {MAX_TOKENS_PER_PERSON} tokens, the most one person may: revoke one you no longer use to create another.
        </p>
      )}
      {problem && <Alert>{problem}</Alert>}
    </form>
  );
}
