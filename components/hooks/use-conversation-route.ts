"use client";

import { usePathname } from "next/navigation";
import { useEffect, useRef } from "react";
import type { ConversationControls } from "@/components/hooks/use-conversation";

/** A saved conversation's own address. */
export function conversationPath(conversationId: string): string {
  return `/c/${encodeURIComponent(conversationId)}`;
}

/** The conversation an address names, or null for the empty page (and anything else). */
export function conversationIdIn(pathname: string | null): string | null {
  const match = /^\/c\/([^/]+)\/?$/.exec(pathname ?? "");
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    // A malformed escape: an id no server gave out, shown as one that does not exist.
    return match[1]!;
  }
}

/**
 * Keeps the address and the conversation in step. The address leads when it changes (a link in
 * the history, Back, Forward, a reload): the page shows what it names. The conversation leads when
 * the server saves it: it gets its own address, pushed so that Back returns to the page before.
 */
export function useConversationRoute({ conversation, open, reset }: Pick<ConversationControls, "conversation" | "open" | "reset">): { arriving: string | null } {
  const routeId = conversationIdIn(usePathname());
  const savedId = conversation.saved?.id ?? null;
  const shownId = savedId ?? conversation.opening?.id ?? null;

  // Read in the effects below without making them run on every change of the other value.
  const shown = useRef(shownId);
  const route = useRef(routeId);
  useEffect(() => {
    shown.current = shownId;
    route.current = routeId;
  });

  useEffect(() => {
    if (routeId === shown.current) return;
    if (routeId === null) reset();
    else open(routeId);
  }, [routeId, open, reset]);

  useEffect(() => {
    // The native history API: no request to the server, and Next's router follows the address.
    if (savedId !== null && savedId !== route.current) window.history.pushState(null, "", conversationPath(savedId));
  }, [savedId]);

  // The conversation the address names before the effect above has asked for it (the first render
  // of a reload, a link just followed): shown as on its way rather than as the page it replaces.
  return { arriving: routeId !== null && routeId !== shownId ? routeId : null };
}
