"use client";

import { useCallback, useEffect, useState } from "react";
import type { ConversationSummary } from "@/lib/shared/history-contract";
import { ApiRequestError } from "@/lib/client/api-request";
import { listConversations } from "@/lib/client/history-api";

/** How long typing must pause before the list is searched: one request per word, not per key. */
export const SEARCH_DEBOUNCE_MS = 250;

export interface HistoryList {
  /** The search box's text, as typed. */
  query: string;
  search(query: string): void;
  /** The conversations that match, newest first, as far as they are loaded. */
  conversations: ConversationSummary[];
  /** Nothing is shown yet for the current search. */
  loading: boolean;
  /** Why the list could not be read, if it could not. */
  problem: string | null;
  hasMore: boolean;
  loadingMore: boolean;
  loadMore(): void;
  /** Reads the first page again: a conversation was saved, answered, renamed or shared. */
  refresh(): void;
  /** Shows a conversation's new summary at once, after it was renamed. */
  update(summary: ConversationSummary): void;
  /** Takes a conversation out of the list at once, after it was deleted. */
  forget(conversationId: string): void;
}

interface LoadedList {
  /** The search and refresh this list answers. */
  key: string;
  searched: string;
  conversations: ConversationSummary[];
  nextCursor: string | null;
  problem: string | null;
}

const describe = (error: unknown) => (error instanceof ApiRequestError ? error.message : "The history could not be read.");

/** The person's saved conversations: searched as they type, a page at a time. */
export function useHistoryList(): HistoryList {
  const [query, setQuery] = useState("");
  const [searched, setSearched] = useState("");
  const [version, setVersion] = useState(0);
  const [list, setList] = useState<LoadedList | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const key = `${version}:${searched}`;

  useEffect(() => {
    const timer = setTimeout(() => setSearched(query.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [query]);

  useEffect(() => {
    const controller = new AbortController();
    listConversations({ query: searched, signal: controller.signal }).then(
      (page) => setList({ key, searched, conversations: page.conversations, nextCursor: page.nextCursor, problem: null }),
      (error: unknown) => {
        if (!controller.signal.aborted) setList((shown) => ({ key, searched, conversations: shown?.conversations ?? [], nextCursor: null, problem: describe(error) }));
      },
    );
    return () => controller.abort();
  }, [key, searched]);

  const loadMore = () => {
    if (!list?.nextCursor || loadingMore) return;
    const from = list;
    setLoadingMore(true);
    listConversations({ query: searched, cursor: from.nextCursor }).then(
      (page) =>
        // Only onto the list it continues: a new search meanwhile starts a list of its own.
        setList((shown) =>
          shown?.key === from.key ? { ...shown, conversations: [...shown.conversations, ...page.conversations], nextCursor: page.nextCursor, problem: null } : shown,
        ),
      (error: unknown) => setList((shown) => (shown?.key === from.key ? { ...shown, problem: describe(error) } : shown)),
    ).finally(() => setLoadingMore(false));
  };

  const refresh = useCallback(() => setVersion((each) => each + 1), []);
  const update = useCallback(
    (summary: ConversationSummary) =>
      setList((shown) => shown && { ...shown, conversations: shown.conversations.map((each) => (each.id === summary.id ? summary : each)) }),
    [],
  );
  const forget = useCallback(
    (conversationId: string) => setList((shown) => shown && { ...shown, conversations: shown.conversations.filter((each) => each.id !== conversationId) }),
    [],
  );

  return {
    query,
    search: setQuery,
    conversations: list?.conversations ?? [],
    loading: list === null || list.searched !== searched,
    problem: list?.problem ?? null,
    hasMore: Boolean(list?.nextCursor),
    loadingMore,
    loadMore,
    refresh,
    update,
    forget,
  };
}
