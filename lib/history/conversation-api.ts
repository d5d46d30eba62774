import "server-only";
import { currentOwner } from "@/lib/auth/current-owner";
import type { AppConfig } from "@/lib/config";
import { conversationMarkdown, exportFileName } from "@/lib/history/export-conversation";
import { conversationNotFound, type HistoryAccess } from "@/lib/history/analyze-history";
import { makeThumbnail } from "@/lib/image/thumbnail";
import { getLogger } from "@/lib/ops/logger";
import { configuredSecrets, describeForLog } from "@/lib/providers/redact-secrets";
import { rejectCrossSite } from "@/lib/security/cross-site";
import { InvalidCursorError, type HistoryStore } from "@/lib/store/history-store";
import type { ImageRow } from "@/lib/store/schema";
import { AppError, errorResponse } from "@/lib/shared/errors";
import { EXPORT_FORMATS, renameSchema, SHARE_TOKEN_PATTERN, STORED_ID_PATTERN, type ShareLink } from "@/lib/shared/history-contract";

/**
 * /api/conversations and its children, and the shared link's image: each route file hands its
 * request here. Every answer about a conversation is the owner's alone: another owner's id, an
 * unknown one and a deleted one get the same 404.
 */
export interface ConversationApiDependencies {
  config: AppConfig;
  history: HistoryAccess;
}

/** A rename's body is a title: anything bigger is not one. */
const MAX_RENAME_BODY_BYTES = 4_096;
/** Longest search text read; beyond it the search box's own limit has been bypassed. */
const MAX_QUERY_CHARS = 200;

type Handler = (store: HistoryStore, ownerId: string) => Promise<Response>;

/** Runs a handler with the store, turning every failure into the API's JSON error. */
async function respond(request: Request, { history }: ConversationApiDependencies, handler: Handler, { changes = false } = {}): Promise<Response> {
  try {
    if (changes) rejectCrossSite(request);
    const ownerId = currentOwner(request);
    let store: HistoryStore;
    try {
      store = await history();
    } catch (error) {
      throw historyUnavailable(error);
    }
    return await handler(store, ownerId);
  } catch (error) {
    if (error instanceof AppError) {
      if (error.code === "history_unavailable") logFailure(request, error.cause);
      return errorResponse(error);
    }
    if (error instanceof InvalidCursorError) return errorResponse(new AppError("invalid_request", error.message));
    logFailure(request, error);
    return errorResponse(historyUnavailable(error));
  }
}

function historyUnavailable(cause: unknown): AppError {
  return new AppError("history_unavailable", "The conversation history cannot be reached right now. Try again in a moment.", { retryAfterSeconds: 5, cause });
}

function logFailure(request: Request, cause: unknown) {
  const route = new URL(request.url).pathname.replace(/[A-Za-z0-9_-]{10,}/g, ":id");
  getLogger().error({ route, method: request.method, code: "history_unavailable", cause: describeForLog(cause, configuredSecrets()) });
}

function checkedId(id: string): string {
  if (!STORED_ID_PATTERN.test(id)) throw new AppError("invalid_request", "The conversation id is not valid.");
  return id;
}

const noStore = { "Cache-Control": "no-store" };

export function listConversations(request: Request, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(request, dependencies, async (store, ownerId) => {
    const url = new URL(request.url);
    const query = url.searchParams.get("q") ?? undefined;
    if (query && query.length > MAX_QUERY_CHARS) throw new AppError("invalid_request", `The search text is at most ${MAX_QUERY_CHARS} characters.`);
    const cursor = url.searchParams.get("cursor") || undefined;
    if (cursor && cursor.length > 200) throw new InvalidCursorError("The cursor is not one this server gave out.");
    return Response.json(await store.listConversations(ownerId, { query, cursor }), { headers: noStore });
  });
}

export function deleteAllConversations(request: Request, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async (store, ownerId) => {
      await store.deleteAllConversations(ownerId);
      return new Response(null, { status: 204, headers: noStore });
    },
    { changes: true },
  );
}

export function getConversation(request: Request, id: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(request, dependencies, async (store, ownerId) => {
    const conversation = await store.getConversation(ownerId, checkedId(id));
    if (!conversation) throw conversationNotFound();
    return Response.json(conversation, { headers: noStore });
  });
}

export function renameConversation(request: Request, id: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async (store, ownerId) => {
      const conversationId = checkedId(id);
      const parsed = renameSchema.safeParse(await readJson(request));
      if (!parsed.success) throw new AppError("invalid_request", parsed.error.issues[0]?.message ?? "Send the new title as {\"title\": \"…\"}.");
      const summary = await store.renameConversation(ownerId, conversationId, parsed.data.title);
      if (!summary) throw conversationNotFound();
      return Response.json(summary, { headers: noStore });
    },
    { changes: true },
  );
}

export function deleteConversation(request: Request, id: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async (store, ownerId) => {
      if (!(await store.deleteConversation(ownerId, checkedId(id)))) throw conversationNotFound();
      return new Response(null, { status: 204, headers: noStore });
    },
    { changes: true },
  );
}

export function conversationImage(request: Request, id: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(request, dependencies, async (store, ownerId) => {
    const size = new URL(request.url).searchParams.get("size");
    if (size !== null && size !== "thumb") throw new AppError("invalid_request", "size is “thumb” or left out.");
    const image = await store.conversationImage(ownerId, checkedId(id));
    if (!image) throw conversationNotFound();
    return imageResponse(store, image, size === "thumb");
  });
}

export function exportConversation(request: Request, id: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(request, dependencies, async (store, ownerId) => {
    const format = new URL(request.url).searchParams.get("format") ?? "md";
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new AppError("invalid_request", `format is ${EXPORT_FORMATS.join(" or ")}.`);
    const conversation = await store.getConversation(ownerId, checkedId(id));
    if (!conversation) throw conversationNotFound();
    const fileName = exportFileName(conversation.title, format);
    const body = format === "json" ? `${JSON.stringify(conversation, null, 2)}\n` : conversationMarkdown(conversation);
    return new Response(body, {
      headers: {
        ...noStore,
        "Content-Type": format === "json" ? "application/json; charset=utf-8" : "text/markdown; charset=utf-8",
        "Content-Disposition": `attachment; filename="${fileName}"`,
      },
    });
  });
}

export function shareConversation(request: Request, id: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async (store, ownerId) => {
      const token = await store.createShare(ownerId, checkedId(id));
      if (!token) throw conversationNotFound();
      const base = dependencies.config.history.publicUrl ?? requestOrigin(request);
      const link: ShareLink = { url: new URL(`/s/${token}`, base).toString() };
      return Response.json(link, { status: 201, headers: noStore });
    },
    { changes: true },
  );
}

export function stopSharing(request: Request, id: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(
    request,
    dependencies,
    async (store, ownerId) => {
      if (!(await store.revokeShares(ownerId, checkedId(id)))) throw conversationNotFound();
      return new Response(null, { status: 204, headers: noStore });
    },
    { changes: true },
  );
}

/**
 * The address the person reached this server at, for a link they will send to others: the Host
 * they sent (proxy.ts has checked it against ALLOWED_HOSTS), and https when a proxy in front says
 * it received https. PUBLIC_URL, when set, is used instead.
 */
function requestOrigin(request: Request): string {
  const url = new URL(request.url);
  const host = request.headers.get("host");
  const forwarded = request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim();
  const protocol = forwarded === "https" || forwarded === "http" ? forwarded : url.protocol.replace(":", "");
  return host ? `${protocol}://${host}` : url.origin;
}

/** The image of a shared conversation, for its read-only page: the same 404 for every bad token. */
export function sharedImage(request: Request, token: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return respond(request, dependencies, async (store) => {
    const image = SHARE_TOKEN_PATTERN.test(token) ? await store.sharedImage(token) : undefined;
    if (!image) throw new AppError("not_found", "This link was revoked or never existed.");
    return imageResponse(store, image, false);
  });
}

async function imageResponse(store: HistoryStore, image: ImageRow, thumbnail: boolean): Promise<Response> {
  let data = image.data;
  let mimeType = image.mime_type;
  if (thumbnail) {
    data = image.thumbnail ?? (await makeThumbnail(image.data));
    mimeType = "image/jpeg";
    if (!image.thumbnail) await store.saveThumbnail(image.hash, data);
  }
  return new Response(new Uint8Array(data), {
    headers: {
      "Content-Type": mimeType,
      // Access can end (a deletion, a revoked link): the browser asks again each time.
      "Cache-Control": "private, no-cache",
      ETag: `"${image.hash.slice(0, 32)}${thumbnail ? "-t" : ""}"`,
      "Content-Security-Policy": "default-src 'none'",
    },
  });
}

/** A small JSON body, or a 400 that says what was wrong with it; never more than the limit is read. */
async function readJson(request: Request): Promise<unknown> {
  const tooLarge = () => new AppError("invalid_request", "The body is too large for a title.");
  if (Number(request.headers.get("content-length") ?? 0) > MAX_RENAME_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = request.body?.getReader();
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    bytes += next.value.byteLength;
    if (bytes > MAX_RENAME_BODY_BYTES) {
      await reader?.cancel();
      throw tooLarge();
    }
    chunks.push(next.value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new AppError("invalid_request", "Send the new title as JSON: {\"title\": \"…\"}.");
  }
}
