import { z } from "@/lib/shared/zod";
import { ERROR_STATUS, type ErrorBody, type ErrorCode } from "@/lib/shared/errors";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_PROMPT_CHARS } from "@/lib/shared/limits";
import { FINISH_REASONS, PROVIDER_IDS } from "@/lib/shared/providers";
import { STORED_ID_PATTERN } from "@/lib/shared/history-contract";
import { THINKING_DEPTHS } from "@/lib/shared/thinking";

/**
 * POST /api/analyze as both sides speak it: the form the page sends, the server-sent events it
 * reads back, the JSON error it gets instead when the request fails before the answer starts, and
 * the protocol version on every response. The page builds its request and checks each event
 * against this file; the server reads the form and writes the events with it, so the two cannot
 * drift apart.
 */

// ---------------------------------------------------------------------------------------------
// Protocol version

/**
 * Sent on every response of POST /api/analyze, the stream and the errors alike. Raised when an
 * event or field changes meaning, so a page from another deployment can tell it is talking to a
 * server it does not understand.
 */
export const ANALYZE_PROTOCOL_HEADER = "X-Analyze-Protocol";
export const ANALYZE_PROTOCOL_VERSION = "1";
export const ANALYZE_PROTOCOL_HEADERS: Readonly<Record<string, string>> = {
  [ANALYZE_PROTOCOL_HEADER]: ANALYZE_PROTOCOL_VERSION,
};

// ---------------------------------------------------------------------------------------------
// The request: a multipart form

/** The multipart field names: the page appends these, the server reads these. */
export const ANALYZE_FIELDS = {
  /** The picked file; absent when `imageId` names an image the server kept. */
  image: "image",
  /** A prepared image the server kept from an earlier question, sent instead of the file. */
  imageId: "imageId",
  prompt: "prompt",
  /** Which configured provider should answer; the server's default when absent. */
  provider: "provider",
  /** How long a model that thinks should think; the provider's default when absent. */
  depth: "depth",
  /** The earlier turns, as one JSON field because multipart has no lists of objects. */
  history: "history",
  /**
   * A saved conversation to continue, sent instead of `imageId` and `history`: the server reads
   * both from its store.
   */
  conversationId: "conversationId",
  /**
   * With `conversationId`: the saved turn to answer again (Retry, Regenerate). It and the turns
   * after it are replaced; the turns before it are the history.
   */
  replaceTurnId: "replaceTurnId",
} as const;

const MISSING_PROMPT = "Type a task for the model, e.g. “Explain this architecture”.";
const NOT_TURNS = "The conversation history must be a list of {task, answer} turns.";

const optionalField = z
  .string()
  .trim()
  .optional()
  .transform((value) => value || undefined);

// Every shape error names the expected shape: zod's own words ("expected string, received
// undefined") would not tell the person, or the page's developer, what is wrong.
const turnSchema = z.object(
  {
    task: z
      .string({ error: NOT_TURNS })
      .trim()
      .min(1, "Each earlier turn needs its task.")
      .max(MAX_PROMPT_CHARS, `An earlier task is longer than ${MAX_PROMPT_CHARS.toLocaleString("en")} characters.`),
    // Gemini refuses an empty model turn; the page never sends one.
    answer: z.string({ error: NOT_TURNS }).refine((answer) => answer.trim() !== "", "Each earlier turn needs the answer it got."),
  },
  { error: NOT_TURNS },
);

const historySchema = z
  .string()
  .optional()
  .transform((value, context) => {
    if (!value?.trim()) return [];
    try {
      return JSON.parse(value) as unknown;
    } catch {
      context.addIssue({ code: "custom", message: "The conversation history is not valid JSON." });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(turnSchema, { error: NOT_TURNS })
      .max(MAX_HISTORY_TURNS, `A conversation may carry at most ${MAX_HISTORY_TURNS} earlier turns.`)
      .refine(
        (turns) => turns.reduce((sum, turn) => sum + turn.task.length + turn.answer.length, 0) <= MAX_HISTORY_CHARS,
        `The conversation history is longer than ${MAX_HISTORY_CHARS.toLocaleString("en")} characters.`,
      ),
  );

/** The text fields of the form, as strings in; the image travels as a file beside them. */
export const analyzeFormSchema = z.object({
  [ANALYZE_FIELDS.prompt]: z
    .string({ error: MISSING_PROMPT })
    .trim()
    .min(1, MISSING_PROMPT)
    .max(MAX_PROMPT_CHARS, `The task is longer than ${MAX_PROMPT_CHARS.toLocaleString("en")} characters.`),
  [ANALYZE_FIELDS.provider]: optionalField,
  [ANALYZE_FIELDS.depth]: optionalField.pipe(
    z.enum(THINKING_DEPTHS, { error: `Depth must be one of: ${THINKING_DEPTHS.join(", ")}.` }).optional(),
  ),
  [ANALYZE_FIELDS.imageId]: optionalField.pipe(z.string().regex(/^[\w-]{1,100}$/, "The image id is not valid.").optional()),
  [ANALYZE_FIELDS.history]: historySchema,
  [ANALYZE_FIELDS.conversationId]: optionalField.pipe(
    z.string().regex(STORED_ID_PATTERN, "The conversation id is not valid.").optional(),
  ),
  [ANALYZE_FIELDS.replaceTurnId]: optionalField.pipe(z.string().regex(STORED_ID_PATTERN, "The turn id is not valid.").optional()),
});

export type AnalyzeForm = z.infer<typeof analyzeFormSchema>;

// ---------------------------------------------------------------------------------------------
// The answer: server-sent events

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];

const metaEventSchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  model: z.string(),
  /** The prepared image actually sent to the model, not the upload. */
  image: z.object({ width: z.number(), height: z.number(), bytes: z.number(), mimeType: z.string() }),
  /**
   * Names the prepared image the server keeps for a while: a follow-up question sends this id
   * instead of the file. Absent when the server keeps no images.
   */
  imageId: z.string().optional(),
  /** The saved conversation this turn belongs to, and the turn: absent when it is not being saved. */
  conversationId: z.string().optional(),
  turnId: z.string().optional(),
});

/** A piece of the model's reasoning, shown apart from the answer. */
const thoughtEventSchema = z.object({ text: z.string() });

const deltaEventSchema = z.object({ text: z.string() });

const doneEventSchema = z.object({
  finishReason: z.enum(FINISH_REASONS),
  usage: z
    .object({ inputTokens: z.number().optional(), outputTokens: z.number().optional(), totalTokens: z.number().optional() })
    .optional(),
});

/** The answer goes on but is not being saved (the history's database failed); sent once. */
const unsavedEventSchema = z.object({ message: z.string() });

/** A failure after the answer started: the text already shown stays. */
const errorEventSchema = z.object({ code: z.enum(ERROR_CODES), message: z.string() });

/**
 * Every event of the stream, told apart by its SSE event name. The page checks each one it
 * receives against this and skips what does not match rather than trusting the wire.
 */
export const analyzeEventSchema = z.discriminatedUnion("event", [
  z.object({ event: z.literal("meta"), data: metaEventSchema }),
  z.object({ event: z.literal("thought"), data: thoughtEventSchema }),
  z.object({ event: z.literal("delta"), data: deltaEventSchema }),
  z.object({ event: z.literal("done"), data: doneEventSchema }),
  z.object({ event: z.literal("error"), data: errorEventSchema }),
  z.object({ event: z.literal("unsaved"), data: unsavedEventSchema }),
]);

export type MetaEvent = z.infer<typeof metaEventSchema>;
export type ThoughtEvent = z.infer<typeof thoughtEventSchema>;
export type DeltaEvent = z.infer<typeof deltaEventSchema>;
export type DoneEvent = z.infer<typeof doneEventSchema>;
export type ErrorEvent = z.infer<typeof errorEventSchema>;
export type UnsavedEvent = z.infer<typeof unsavedEventSchema>;
export type AnalyzeEvent = z.infer<typeof analyzeEventSchema>;
export type AnalyzeEventName = AnalyzeEvent["event"];

// ---------------------------------------------------------------------------------------------
// The failure before the answer: a JSON body with the status of its code

export const errorBodySchema: z.ZodType<ErrorBody> = z.object({
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), retryAfterSeconds: z.number().optional() }),
});
