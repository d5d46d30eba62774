import { z } from "@/lib/shared/zod";
import { FINISH_REASONS, PROVIDER_IDS } from "@/lib/shared/providers";
import { THINKING_DEPTHS } from "@/lib/shared/thinking";

/**
 * The saved conversations as the page and the server both see them: /api/conversations and its
 * children answer with these shapes, and the page checks what it reads against them.
 */

/** How a saved turn ended. "incomplete": its answer stopped without the model saying it had finished
 * (a server that died mid-answer leaves this, with the text the person saw). */
export const TURN_STATUSES = ["complete", "stopped", "failed", "incomplete"] as const;
export type TurnStatus = (typeof TURN_STATUSES)[number];

/** Conversation and turn ids: random, URL-safe. */
export const STORED_ID_PATTERN = /^[A-Za-z0-9_-]{10,64}$/;
/** Share tokens: 256 random bits, base64url. */
export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Longest conversation title; a longer first task is shortened to it. */
export const MAX_TITLE_CHARS = 120;
/** Conversations per page of the list. */
export const CONVERSATIONS_PAGE_SIZE = 30;

const usageSchema = z.object({
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  totalTokens: z.number().optional(),
});

export const storedTurnSchema = z.object({
  id: z.string(),
  task: z.string(),
  answer: z.string(),
  thoughts: z.string(),
  status: z.enum(TURN_STATUSES),
  /** Null for turns a client carried in from before the conversation was saved. */
  provider: z.enum(PROVIDER_IDS).nullable(),
  model: z.string().nullable(),
  depth: z.enum(THINKING_DEPTHS).nullable(),
  finishReason: z.enum(FINISH_REASONS).nullable(),
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  usage: usageSchema.nullable(),
  /** ISO 8601. */
  createdAt: z.string(),
  /** From the model call to its first thought or word, and to the answer's end. */
  firstTokenMs: z.number().nullable(),
  durationMs: z.number().nullable(),
});

export const conversationSummarySchema = z.object({
  id: z.string(),
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  turnCount: z.number(),
  /** Whether a share link is live. */
  shared: z.boolean(),
});

export const conversationListSchema = z.object({
  conversations: z.array(conversationSummarySchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});

export const storedImageSchema = z.object({
  width: z.number(),
  height: z.number(),
  bytes: z.number(),
  mimeType: z.string(),
});

export const conversationSchema = conversationSummarySchema.extend({
  /** The prepared image the model saw; null when retention has deleted it. */
  image: storedImageSchema.nullable(),
  turns: z.array(storedTurnSchema),
});

/** A shared conversation, as a link's reader sees it: no owner, no ids to act on. */
export const sharedConversationSchema = z.object({
  title: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  image: storedImageSchema.nullable(),
  turns: z.array(storedTurnSchema.omit({ id: true })),
});

/** Who may open a share link: signed-in members of the team, or anyone (when SHARE_PUBLIC allows). */
export const SHARE_VISIBILITIES = ["team", "public"] as const;
export type ShareVisibility = (typeof SHARE_VISIBILITIES)[number];
export const shareRequestSchema = z.object({ visibility: z.enum(SHARE_VISIBILITIES).default("team") });

export const shareLinkSchema = z.object({ url: z.string(), visibility: z.enum(SHARE_VISIBILITIES).optional() });

export const renameSchema = z.object({
  title: z
    .string({ error: "Send the new title as {\"title\": \"…\"}." })
    .trim()
    .min(1, "A title cannot be empty.")
    .max(MAX_TITLE_CHARS, `A title is at most ${MAX_TITLE_CHARS} characters.`),
});

export const EXPORT_FORMATS = ["md", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export type StoredTurn = z.infer<typeof storedTurnSchema>;
export type ConversationSummary = z.infer<typeof conversationSummarySchema>;
export type ConversationList = z.infer<typeof conversationListSchema>;
export type StoredImage = z.infer<typeof storedImageSchema>;
export type Conversation = z.infer<typeof conversationSchema>;
export type SharedConversation = z.infer<typeof sharedConversationSchema>;
export type ShareLink = z.infer<typeof shareLinkSchema>;
