"use client";

import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Button } from "@/components/ui/button";
import { MAX_TITLE_CHARS } from "@/lib/shared/history-contract";

/**
 * Esc leaves the form and nothing else: not the drawer around it, and not the answer under way
 * (use-stop-on-escape.ts skips a key already handled).
 */
function escapeTo(leave: () => void) {
  return (event: KeyboardEvent) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation();
    leave();
  };
}

export interface RenameFormProps {
  title: string;
  /** Saves the new title; the form stays open (with the problem shown) when it fails. */
  onSave(title: string): Promise<void>;
  onCancel(): void;
}

/** The title in a box, in place of the link: Enter saves, Esc leaves it as it was. */
export function RenameForm({ title, onSave, onCancel }: RenameFormProps) {
  const [value, setValue] = useState(title);
  const [saving, setSaving] = useState(false);
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const next = value.trim();
    if (!next || next === title) {
      onCancel();
      return;
    }
    setSaving(true);
    await onSave(next);
    setSaving(false);
  };
  return (
    <form aria-label="Rename conversation" onSubmit={(event) => void submit(event)} onKeyDown={escapeTo(onCancel)} className="flex flex-col gap-2 rounded-md bg-muted p-2">
      <label htmlFor={id} className="text-xs font-medium text-muted-foreground">
        New title
      </label>
      <input
        id={id}
        // The person asked to rename: the box is where they type next.
        autoFocus
        onFocus={(event) => event.currentTarget.select()}
        value={value}
        maxLength={MAX_TITLE_CHARS}
        onChange={(event) => setValue(event.target.value)}
        className="rounded-md border border-input bg-card px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-ring"
      />
      <div className="flex gap-2">
        <Button variant="primary" type="submit" disabled={saving || !value.trim()}>
          Save
        </Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  );
}

export interface DeleteConfirmationProps {
  /** What is deleted: a conversation's title, or the whole history. */
  title: string;
  question: string;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
}

/** Asked in place, not in a pop-up: the one button that deletes, and Cancel, which has focus. */
export function DeleteConfirmation({ title, question, confirmLabel, onConfirm, onCancel }: DeleteConfirmationProps) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div role="group" aria-label={title} onKeyDown={escapeTo(onCancel)} className="flex flex-col gap-2 rounded-md border border-danger/40 bg-danger/10 p-2 text-sm">
      <p>{question} This cannot be undone.</p>
      <div className="flex gap-2">
        <Button variant="danger" onClick={onConfirm}>
          {confirmLabel}
        </Button>
        <Button ref={cancel} onClick={onCancel}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
