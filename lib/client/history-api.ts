import type { z } from "@/lib/shared/zod";
import { explanationOf, unexplainedFailure } from "@/lib/client/server-error";
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
} from "@/lib/shared/history-contract";

/**
 * The page's side of /api/conversations: every answer is checked against the contract's schemas,
 * and every failure becomes a HistoryRequestError with a sentence to show.
 */

/** What went wrong, said for a person; `code` is the server's (`not_found`, …) or one of ours. */
export class HistoryRequestError extends Error {
  override name = "HistoryRequestError";
  constructor(
    message: string,
    readonly code: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

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

/** A new share link to the conversation: the whole URL, to give to someone. */
export function shareConversation(id: string): Promise<ShareLink> {
  return requestJson(`${conversationPath(id)}/share`, { method: "POST" }, shareLinkSchema);
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

async function requestJson<T>(url: string, init: RequestInit, schema: z.ZodType<T>): Promise<T> {
  const response = await send(url, init);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw unexpectedAnswer(response.status);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw unexpectedAnswer(response.status);
  return parsed.data;
}

async function requestEmpty(url: string, init: RequestInit): Promise<void> {
  await send(url, init);
}

function jsonBody(method: string, body: object): RequestInit {
  return { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
}

/** The response when it is a success; otherwise the server's own explanation, or one about the network. */
async function send(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    // Same-origin by default, with the cookies that say whose history this is.
    response = await fetch(url, { ...init, credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    if (init.signal?.aborted) throw error;
    throw new HistoryRequestError("The server could not be reached. Check your connection and try again.", "network", null);
  }
  if (response.ok) return response;
  throw await responseError(response);
}

async function responseError(response: Response): Promise<HistoryRequestError> {
  const { message, code } = explanationOf(await response.text().catch(() => "")) ?? unexplainedFailure(response.status);
  return new HistoryRequestError(message, code, response.status);
}

function unexpectedAnswer(status: number): HistoryRequestError {
  return new HistoryRequestError("The server's answer was not understood. Reload the page and try again.", "unexpected_answer", status);
}
