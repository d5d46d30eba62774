import { jsonBody, requestEmpty, requestJson } from "@/lib/client/api-request";
import {
  conversationListSchema,
  conversationSchema,
  conversationSummarySchema,
  shareLinkSchema,
  type Conversation,
  type ConversationList,
  type ConversationSummary,
  type ExportFormat,
  type ShareLink,
  type ShareVisibility,
} from "@/lib/shared/history-contract";

/**
 * The page's side of /api/conversations: every answer is checked against the contract's schemas,
 * and every failure becomes an ApiRequestError with a sentence to show.
 */

const BASE = "/api/conversations";

const conversationPath = (id: string) => `${BASE}/${encodeURIComponent(id)}`;

/** One page of the person's conversations, newest first; `cursor` is the previous page's `nextCursor`. */
export function listConversations({ query, cursor, signal }: { query?: string; cursor?: string | null; signal?: AbortSignal } = {}): Promise<ConversationList> {
  const search = new URLSearchParams();
  if (query?.trim()) search.set("q", query.trim());
  if (cursor) search.set("cursor", cursor);
  const text = search.toString();
  return requestJson(text ? `${BASE}?${text}` : BASE, { signal }, conversationListSchema);
}

export function getConversation(id: string, signal?: AbortSignal): Promise<Conversation> {
  return requestJson(conversationPath(id), { signal }, conversationSchema);
}

export function renameConversation(id: string, title: string): Promise<ConversationSummary> {
  return requestJson(conversationPath(id), jsonBody("PATCH", { title }), conversationSummarySchema);
}

export function deleteConversation(id: string): Promise<void> {
  return requestEmpty(conversationPath(id), { method: "DELETE" });
}

export function deleteAllConversations(): Promise<void> {
  return requestEmpty(BASE, { method: "DELETE" });
}

/** A new share link to the conversation: the whole URL, to give to someone; public only where the server allows it. */
export function shareConversation(id: string, visibility: ShareVisibility = "team"): Promise<ShareLink> {
  return requestJson(`${conversationPath(id)}/share`, jsonBody("POST", { visibility }), shareLinkSchema);
}

/** Revokes every link to the conversation. */
export function stopSharing(id: string): Promise<void> {
  return requestEmpty(`${conversationPath(id)}/share`, { method: "DELETE" });
}

/** The prepared image the model saw, or its small thumbnail for the history list. */
export function conversationImageUrl(id: string, { thumbnail = false }: { thumbnail?: boolean } = {}): string {
  return `${conversationPath(id)}/image${thumbnail ? "?size=thumb" : ""}`;
}

/** The whole conversation as a download. */
export function conversationExportUrl(id: string, format: ExportFormat): string {
  return `${conversationPath(id)}/export?format=${format}`;
}
