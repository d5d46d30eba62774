"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { conversationPath } from "@/components/hooks/use-conversation-route";
import { DeleteConfirmation, RenameForm } from "@/components/history/history-item-forms";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { ApiRequestError } from "@/lib/client/api-request";
import { conversationImageUrl, deleteConversation, renameConversation } from "@/lib/client/history-api";
import type { ConversationSummary } from "@/lib/shared/history-contract";

export interface HistoryItemProps {
  summary: ConversationSummary;
  /** The conversation the page shows. */
  current: boolean;
  onNavigate?(): void;
  onRenamed(summary: ConversationSummary): void;
  onDeleted(conversationId: string): void;
}

type Mode = "view" | "renaming" | "confirming";

const describe = (error: unknown) => (error instanceof ApiRequestError ? error.message : "That did not work. Please try again.");

/** One conversation in the history: open it, rename it in place, or delete it after a confirmation. */
export function HistoryItem({ summary, current, onNavigate, onRenamed, onDeleted }: HistoryItemProps) {
  const [mode, setMode] = useState<Mode>("view");
  const [problem, setProblem] = useState<string | null>(null);
  const renameButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  // Back from a form, focus returns to the button that opened it: the form that had focus is gone,
  // and the button is a new element once the row is drawn again.
  const returnFocusTo = useRef<"rename" | "delete" | null>(null);
  useEffect(() => {
    if (mode !== "view" || !returnFocusTo.current) return;
    (returnFocusTo.current === "rename" ? renameButton : deleteButton).current?.focus();
    returnFocusTo.current = null;
  }, [mode]);
  const backToView = (focus: "rename" | "delete") => {
    returnFocusTo.current = focus;
    setMode("view");
  };

  const rename = async (title: string) => {
    try {
      onRenamed(await renameConversation(summary.id, title));
      setProblem(null);
      backToView("rename");
    } catch (error) {
      setProblem(describe(error));
    }
  };
  const remove = async () => {
    try {
      await deleteConversation(summary.id);
      onDeleted(summary.id);
    } catch (error) {
      setProblem(describe(error));
      backToView("delete");
    }
  };

  return (
    <li className="flex flex-col gap-1" data-testid="history-item">
      {mode === "renaming" ? (
        <RenameForm title={summary.title} onSave={rename} onCancel={() => backToView("rename")} />
      ) : (
        <ItemRow summary={summary} current={current} onNavigate={onNavigate} renameButton={renameButton} deleteButton={deleteButton} onMode={setMode} />
      )}
      {mode === "confirming" && (
        <DeleteConfirmation
          title={`Delete “${summary.title}”?`}
          question={`Delete “${summary.title}”?`}
          confirmLabel="Delete"
          onConfirm={() => void remove()}
          onCancel={() => backToView("delete")}
        />
      )}
      {problem && <Alert>{problem}</Alert>}
    </li>
  );
}

interface ItemRowProps extends Pick<HistoryItemProps, "summary" | "current" | "onNavigate"> {
  renameButton: React.RefObject<HTMLButtonElement | null>;
  deleteButton: React.RefObject<HTMLButtonElement | null>;
  onMode(mode: Mode): void;
}

function ItemRow({ summary, current, onNavigate, renameButton, deleteButton, onMode }: ItemRowProps) {
  return (
    <div
      data-current={current || undefined}
      className="group flex items-center gap-1 rounded-md pr-1 hover:bg-muted data-current:bg-primary/10"
    >
      <Link
        href={conversationPath(summary.id)}
        aria-current={current ? "page" : undefined}
        onClick={onNavigate}
        className="flex min-w-0 flex-1 items-center gap-2 rounded-md p-1.5 focus-visible:outline-2 focus-visible:outline-ring"
      >
        <Thumbnail conversationId={summary.id} />
        <span className="flex min-w-0 flex-col">
          <span className="truncate text-sm font-medium" title={summary.title} data-testid="history-title">
            {summary.title}
          </span>
          <span className="truncate text-xs text-muted-foreground">
            {formatWhen(summary.updatedAt)}
            {summary.shared && " · Shared"}
          </span>
        </span>
      </Link>
      <Button variant="icon" ref={renameButton} aria-label={`Rename “${summary.title}”`} onClick={() => onMode("renaming")}>
        <svg aria-hidden="true" viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4" />
        </svg>
      </Button>
      <Button variant="icon" ref={deleteButton} aria-label={`Delete “${summary.title}”`} onClick={() => onMode("confirming")}>
        <svg aria-hidden="true" viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />
        </svg>
      </Button>
    </div>
  );
}

/** The conversation's image, small; decorative, as the title beside it names the conversation. */
function Thumbnail({ conversationId }: { conversationId: string }) {
  const [failed, setFailed] = useState(false);
  if (failed) return <span aria-hidden="true" className="size-10 shrink-0 rounded bg-muted" />;
  return (
    // A small picture from this server, already sized by it: nothing for next/image to do.
    // eslint-disable-next-line @next/next/no-img-element
    <img
      src={conversationImageUrl(conversationId, { thumbnail: true })}
      alt=""
      loading="lazy"
      width={40}
      height={40}
      onError={() => setFailed(true)}
      className="size-10 shrink-0 rounded border border-border bg-white object-cover"
    />
  );
}

const SAME_DAY = new Intl.DateTimeFormat("en", { hour: "numeric", minute: "2-digit" });
const OTHER_DAY = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", year: "numeric" });

/** When a conversation was last answered: the time today, the date before. */
function formatWhen(iso: string): string {
  const when = new Date(iso);
  return when.toDateString() === new Date().toDateString() ? SAME_DAY.format(when) : OTHER_DAY.format(when);
}
