"use client";

import { useEffect, useRef, type KeyboardEvent } from "react";
import { Button } from "@/components/ui/button";

export interface ConfirmInPlaceProps {
  /** Names the group: "Disable bob@example.com?". */
  title: string;
  /** What will happen, in a sentence. */
  question: string;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
  busy?: boolean;
}

/**
 * Asked in place, as the history asks before deleting: the one button that acts, and Cancel,
 * which has focus, so Enter or Esc straight away changes nothing.
 */
export function ConfirmInPlace({ title, question, confirmLabel, onConfirm, onCancel, busy = false }: ConfirmInPlaceProps) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    event.stopPropagation();
    onCancel();
  };
  return (
    <div role="group" aria-label={title} onKeyDown={onKeyDown} className="flex min-w-56 flex-col gap-2 rounded-md border border-danger/40 bg-danger/10 p-2 text-sm">
      <p>{question}</p>
      <div className="flex gap-2">
        <Button variant="danger" onClick={onConfirm} disabled={busy}>
          {confirmLabel}
        </Button>
        <Button ref={cancel} onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
      </div>
    </div>
  );
}
