"use client";

import { useRef, useState } from "react";
import { DeleteConfirmation } from "@/components/history/history-item-forms";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ApiRequestError } from "@/lib/client/api-request";
import { deleteAllConversations } from "@/lib/client/history-api";

/** "Delete all history", asked again in place before anything is deleted. */
export function DeleteAllHistory({ disabled, onDeletedAll }: { disabled: boolean; onDeletedAll(): void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const deleteAll = async () => {
    try {
      await deleteAllConversations();
      setProblem(null);
      setConfirming(false);
      onDeletedAll();
    } catch (error) {
      setProblem(error instanceof ApiRequestError ? error.message : "The history could not be deleted. Please try again.");
      setConfirming(false);
    }
  };
  return (
    <div className="mt-auto flex flex-col gap-2 border-t border-border pt-3">
      {confirming ? (
        <DeleteConfirmation
          title="Delete all history?"
          question="Delete every saved conversation, with its images and share links?"
          confirmLabel="Delete all"
          onConfirm={() => void deleteAll()}
          onCancel={() => {
            setConfirming(false);
            // The button is back once this render is committed.
            requestAnimationFrame(() => button.current?.focus());
          }}
        />
      ) : (
        <Button ref={button} onClick={() => setConfirming(true)} disabled={disabled} className="self-start">
          Delete all history
        </Button>
      )}
      {problem && <Alert>{problem}</Alert>}
    </div>
  );
}
