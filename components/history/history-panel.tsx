"use client";

import { useRef, type ReactNode } from "react";
import { DeleteAllHistory } from "@/components/history/delete-all-history";
import { HistoryItem } from "@/components/history/history-item";
import type { HistoryList } from "@/components/hooks/use-history-list";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { ConversationSummary } from "@/lib/shared/history-contract";

/** What the page does when the history changes under it. */
export interface HistoryPanelActions {
  /** The conversation the page shows, if it is saved. */
  currentId: string | null;
  onNewConversation(): void;
  onRenamed(summary: ConversationSummary): void;
  onDeleted(conversationId: string): void;
  onDeletedAll(): void;
}

export interface HistoryPanelProps extends HistoryPanelActions {
  list: HistoryList;
  headingId: string;
  /** Beside the heading: the drawer's Close button. */
  headingAction?: ReactNode;
  /** A conversation was chosen (the drawer closes). */
  onNavigate?(): void;
}

/** The saved conversations, newest first: search, open, rename, delete, and start a new one. */
export function HistoryPanel({ list, headingId, headingAction, onNavigate, ...actions }: HistoryPanelProps) {
  const searchBox = useRef<HTMLInputElement>(null);
  // A deleted conversation's buttons are gone with it: focus goes somewhere that is still there.
  const focusSearch = () => searchBox.current?.focus();
  const startNew = () => {
    actions.onNewConversation();
    onNavigate?.();
  };
  return (
    <div className="flex min-h-full flex-col gap-3 p-4">
      <div className="flex items-center justify-between gap-2">
        <h2 id={headingId} className="text-lg font-semibold">
          History
        </h2>
        {headingAction}
      </div>
      <Button variant="primary" onClick={startNew}>
        New conversation
      </Button>
      <div role="search" aria-label="Conversations">
        <input
          ref={searchBox}
          type="search"
          value={list.query}
          onChange={(event) => list.search(event.target.value)}
          aria-label="Search conversations"
          placeholder="Search conversations"
          className="w-full rounded-md border border-input bg-card px-3 py-1.5 text-sm placeholder:text-muted-foreground focus-visible:outline-2 focus-visible:outline-ring"
        />
      </div>
      <ConversationList list={list} onNavigate={onNavigate} actions={actions} onItemGone={focusSearch} />
      <DeleteAllHistory
        disabled={list.conversations.length === 0 && !list.query}
        onDeletedAll={() => {
          list.refresh();
          actions.onDeletedAll();
          focusSearch();
        }}
      />
    </div>
  );
}

interface ConversationListProps {
  list: HistoryList;
  onNavigate?(): void;
  actions: Omit<HistoryPanelActions, "onNewConversation" | "onDeletedAll">;
  onItemGone(): void;
}

function ConversationList({ list, onNavigate, actions, onItemGone }: ConversationListProps) {
  const { conversations, loading, problem, query } = list;
  const empty = !loading && conversations.length === 0 && !problem;
  return (
    // No gap here: the status line takes no room while it has nothing to say.
    <div className="flex flex-col">
      <p role="status" className="mb-2 text-sm text-muted-foreground empty:mb-0" data-testid="history-status">
        {loading && conversations.length === 0 && "Loading…"}
        {empty && (query.trim() ? `No conversation matches “${query.trim()}”.` : "No conversations yet. Each question you ask is saved here.")}
      </p>
      {problem && (
        <div className="mb-2">
          <Alert>{problem}</Alert>
        </div>
      )}
      <ul aria-label="Saved conversations" aria-busy={loading} className="flex flex-col gap-1">
        {conversations.map((summary) => (
          <HistoryItem
            key={summary.id}
            summary={summary}
            current={summary.id === actions.currentId}
            onNavigate={onNavigate}
            onRenamed={(renamed) => {
              list.update(renamed);
              actions.onRenamed(renamed);
            }}
            onDeleted={(conversationId) => {
              list.forget(conversationId);
              actions.onDeleted(conversationId);
              onItemGone();
            }}
          />
        ))}
      </ul>
      {list.hasMore && (
        <Button onClick={list.loadMore} disabled={list.loadingMore} className="mt-2 self-start">
          {list.loadingMore ? "Loading…" : "Load more"}
        </Button>
      )}
    </div>
  );
}
