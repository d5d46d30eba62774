import "server-only";
import { identify, requireIdentity, type AuthRuntime } from "@/lib/auth/identity";
import type { AppConfig } from "@/lib/config";
import { conversationMarkdown, exportFileName } from "@/lib/history/export-conversation";
import { conversationNotFound, type HistoryAccess } from "@/lib/history/analyze-history";
import { makeThumbnail } from "@/lib/image/thumbnail";
import { answerJson } from "@/lib/ops/json-route";
import { InvalidCursorError, type HistoryStore, type ShareReader } from "@/lib/store/history-store";
import type { ImageRow } from "@/lib/store/schema";
import { AppError } from "@/lib/shared/errors";
import {
  EXPORT_FORMATS,
  renameSchema,
  SHARE_TOKEN_PATTERN,
  shareRequestSchema,
  STORED_ID_PATTERN,
  type ShareLink,
  type ShareVisibility,
} from "@/lib/shared/history-contract";
import { type SmallBodyLimits, readSmallJson, requestOrigin } from "@/lib/upload/small-body";

/**
 * /api/conversations and its children, and the shared link's image: each route file hands its
 * request here. Every answer about a conversation is the owner's alone: another owner's id, an
 * unknown one and a deleted one get the same 404.
 */
export interface ConversationApiDependencies {
  config: AppConfig;
  history: HistoryAccess;
  /** Who is asking (lib/auth/identity.ts). */
  auth: () => Promise<AuthRuntime>;
}

const SHARE_REQUEST_HINT = 'Send {"visibility": "team"} or {"visibility": "public"}, or nothing for the team.';
/** A rename's body is a title: anything bigger is not one. */
const RENAME_BODY: SmallBodyLimits = {
  maxBytes: 4_096,
  tooLarge: "The body is too large for a title.",
  malformed: 'Send the new title as JSON: {"title": "…"}.',
};
/** A share's body says who the link is for, or is empty (the team). */
const SHARE_BODY: SmallBodyLimits = {
  maxBytes: 1_024,
  tooLarge: "The body is too large for a share.",
  malformed: SHARE_REQUEST_HINT,
};
/** Longest search text read; beyond it the search box's own limit has been bypassed. */
const MAX_QUERY_CHARS = 200;

type Handler = (store: HistoryStore, ownerId: string) => Promise<Response>;

const HISTORY_UNAVAILABLE = "The conversation history cannot be reached right now. Try again in a moment.";

/** Runs a handler with the store for the identified person, turning every failure into the API's JSON error. */
function respond(request: Request, dependencies: ConversationApiDependencies, handler: Handler, { changes = false } = {}): Promise<Response> {
  const explain = (error: unknown) => (error instanceof InvalidCursorError ? new AppError("invalid_request", error.message) : undefined);
  return answerJson(request, { changes, unavailable: HISTORY_UNAVAILABLE, explain }, async () => {
    const [store, runtime] = await Promise.all([dependencies.history(), dependencies.auth()]);
    const { userId } = await requireIdentity(request, runtime);
    return handler(store, userId);
  });
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
      const parsed = renameSchema.safeParse(await readSmallJson(request, RENAME_BODY));
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
      const { visibility } = await readShareRequest(request, dependencies.config.auth.sharePublic);
      const token = await store.createShare(ownerId, checkedId(id), visibility);
      if (!token) throw conversationNotFound();
      const base = dependencies.config.history.publicUrl ?? requestOrigin(request);
      const link: ShareLink = { url: new URL(`/s/${token}`, base).toString(), visibility };
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
 * The image of a shared conversation, for its read-only page: the same 404 for every bad token,
 * and for a team link opened by someone signed out.
 */
export function sharedImage(request: Request, token: string, dependencies: ConversationApiDependencies): Promise<Response> {
  return answerJson(request, { unavailable: HISTORY_UNAVAILABLE }, async () => {
    const [store, runtime] = await Promise.all([dependencies.history(), dependencies.auth()]);
    const reader = await shareReaderOf(request.headers, runtime);
    const image = SHARE_TOKEN_PATTERN.test(token) ? await store.sharedImage(token, reader) : undefined;
    if (!image) throw new AppError("not_found", "This link was revoked or never existed.");
    return imageResponse(store, image, false);
  });
}

/**
 * Who opens a share link: a member when the request proves an identity, else anyone, who may open
 * public links only, and only while SHARE_PUBLIC allows them.
 */
export async function shareReaderOf(headers: Headers, runtime: AuthRuntime): Promise<ShareReader | undefined> {
  const identity = await identify(headers, runtime).catch((error: unknown) => {
    if (error instanceof AppError) return undefined;
    throw error;
  });
  if (identity) return "member";
  return runtime.settings.sharePublic ? "anyone" : undefined;
}

/** A share request's body: the visibility, "team" unless public links are allowed and asked for. */
async function readShareRequest(request: Request, sharePublic: boolean): Promise<{ visibility: ShareVisibility }> {
  const text = Number(request.headers.get("content-length") ?? 0) > 0 || request.headers.get("content-type")?.includes("json") ? await readSmallJson(request, SHARE_BODY) : {};
  const parsed = shareRequestSchema.safeParse(text ?? {});
  if (!parsed.success) throw new AppError("invalid_request", SHARE_REQUEST_HINT);
  if (parsed.data.visibility === "public" && !sharePublic) {
    throw new AppError("forbidden", "Public links are turned off on this server (SHARE_PUBLIC): share with the team instead.");
  }
  return parsed.data;
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

