import "server-only";
import { webcrypto } from "node:crypto";
import type { ImageStore } from "@/lib/image/image-store";
import type { PreparedImage } from "@/lib/image/prepare-image";
import type { Provider } from "@/lib/providers/types";
import type { HistoryStore } from "@/lib/store/history-store";
import type { AnalyzeForm } from "@/lib/shared/analyze-contract";
import { AppError } from "@/lib/shared/errors";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS } from "@/lib/shared/limits";
import type { ConversationTurn } from "@/lib/shared/providers";
import type { AnswerObserver } from "@/lib/streaming/answer-stream";
import { SAVE_TIMEOUT_MS, TurnRecorder, UNSAVED_MESSAGE, withTimeout } from "@/lib/history/turn-recorder";

/** The process's history store, opened on first use; a rejection means the database is down. */
export type HistoryAccess = () => Promise<HistoryStore>;

/** What a follow-up to a saved conversation reads from the history: its image and earlier turns. */
export interface SavedFollowUp {
  image: PreparedImage;
  history: ConversationTurn[];
}

/**
 * A follow-up that names a saved conversation: the image comes from the memory cache in front of
 * the store, else from the store (after a restart, on another instance, days later); the earlier
 * turns from the store. 404 when the conversation is not the owner's; 410 when retention has
 * deleted its image; 503 when the database cannot be read (without it there is no conversation).
 */
export async function readSavedFollowUp(
  history: HistoryAccess,
  cache: ImageStore,
  ownerId: string,
  form: AnalyzeForm,
): Promise<SavedFollowUp> {
  const conversationId = form.conversationId!;
  const { context, store } = await unavailableAsError(async () => {
    const store = await history();
    return { store, context: await store.followUpContext(ownerId, conversationId, form.replaceTurnId) };
  });
  if (!context) throw conversationNotFound();
  if (!context.imageHash) throw imageDeleted();
  const cacheKey = `stored:${context.imageHash}`;
  // The owner's access was checked by followUpContext: the cached copy is shared by its owners.
  let image = cache.get(cacheKey, ownerId);
  if (!image) {
    const row = await unavailableAsError(() => store.imageByHash(context.imageHash!));
    if (!row) throw imageDeleted();
    const mimeType = row.mime_type as PreparedImage["mimeType"];
    image = { data: row.data, mimeType, width: row.width, height: row.height, bytes: row.bytes, source: { mimeType, width: row.width, height: row.height } };
    cache.putAs(cacheKey, image);
  }
  return { image, history: newestWithinLimits(context.history) };
}

export function conversationNotFound(): AppError {
  return new AppError("not_found", "This conversation does not exist or was deleted.");
}

function imageDeleted(): AppError {
  return new AppError("image_expired", "This conversation's image was deleted by the server's retention policy. Start a new conversation with it.");
}

async function unavailableAsError<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await withTimeout(read(), SAVE_TIMEOUT_MS);
  } catch (error) {
    throw new AppError("history_unavailable", "The conversation history cannot be read right now. Try again in a moment.", {
      retryAfterSeconds: 5,
      cause: error,
    });
  }
}

/** The newest turns that fit the limits a request's own history has (the page keeps the same). */
function newestWithinLimits(turns: ConversationTurn[]): ConversationTurn[] {
  const kept: ConversationTurn[] = [];
  let chars = 0;
  for (const turn of [...turns].reverse()) {
    chars += turn.task.length + turn.answer.length;
    if (chars > MAX_HISTORY_CHARS || kept.length === MAX_HISTORY_TURNS) break;
    kept.unshift(turn);
  }
  return kept;
}

export interface SavingTurn {
  /** For the `meta` event; absent when the turn could not be saved. */
  ids: { conversationId: string; turnId: string } | undefined;
  observer: AnswerObserver;
}

export interface TurnToSave {
  ownerId: string;
  form: AnalyzeForm;
  image: PreparedImage;
  provider: Provider;
  /** When the model was called. */
  startedAt: number;
  /** Where the reason goes when saving fails (once per turn). */
  logFailure(error: unknown): void;
}

/**
 * Starts saving a turn whose answer is about to stream: a new conversation (with its image, and
 * the earlier turns a page sent with it), or the next turn of a saved one. When the database
 * fails, the answer streams all the same and the page is told it is not saved.
 */
export async function startSavingTurn(history: HistoryAccess, turn: TurnToSave): Promise<SavingTurn> {
  const { ownerId, form, image, provider } = turn;
  const start = { ownerId, task: form.prompt, provider: provider.id, model: provider.model, depth: form.depth };
  try {
    const ids = await withTimeout(
      (async () => {
        const store = await history();
        const started = form.conversationId
          ? await store.startFollowUp({ ...start, conversationId: form.conversationId, replaceTurnId: form.replaceTurnId })
          : await store.startConversation({ ...start, image: { ...imageMeta(image), hash: await sha256(image.data), data: image.data }, earlierTurns: form.history });
        if (!started) throw new Error("The conversation was deleted while this turn started.");
        return { ...started, store };
      })(),
      SAVE_TIMEOUT_MS,
    );
    const { store, ...saved } = ids;
    return { ids: saved, observer: new TurnRecorder(store, saved.turnId, turn.startedAt, turn.logFailure) };
  } catch (error) {
    turn.logFailure(error);
    return { ids: undefined, observer: unsavedNotice() };
  }
}

function imageMeta(image: PreparedImage) {
  return { width: image.width, height: image.height, bytes: image.bytes, mimeType: image.mimeType };
}

/** Off the event loop: WebCrypto hashes on libuv's pool, and a prepared image can be megabytes. */
async function sha256(data: Buffer): Promise<string> {
  const digest = await webcrypto.subtle.digest("SHA-256", data);
  return Buffer.from(digest).toString("hex");
}

/** For a turn that is not being saved: tells the page so, with the first event after `meta`. */
function unsavedNotice(): AnswerObserver {
  let sent = false;
  return {
    sent: () => undefined,
    settle: async () => undefined,
    takeNotice() {
      if (sent) return undefined;
      sent = true;
      return { event: "unsaved", data: { message: UNSAVED_MESSAGE } };
    },
  };
}
