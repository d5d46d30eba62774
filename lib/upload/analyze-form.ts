import "server-only";
import { z } from "zod";
import { THINKING_DEPTHS } from "@/lib/shared/thinking";
import { AppError } from "@/lib/shared/errors";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_PROMPT_CHARS } from "@/lib/shared/limits";

const MISSING_PROMPT = "Type a task for the model, e.g. “Explain this architecture”.";

const optionalField = z
  .string()
  .trim()
  .optional()
  .transform((value) => value || undefined);

const NOT_TURNS = "The conversation history must be a list of {task, answer} turns.";

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

/** The earlier turns, sent as one JSON field because multipart has no lists of objects. */
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

const formSchema = z.object({
  prompt: z
    .string({ error: MISSING_PROMPT })
    .trim()
    .min(1, MISSING_PROMPT)
    .max(MAX_PROMPT_CHARS, `The task is longer than ${MAX_PROMPT_CHARS.toLocaleString("en")} characters.`),
  /** Which configured provider should answer; the server's default when absent. */
  provider: optionalField,
  /** How long a model that thinks should think; the provider's default when absent. */
  depth: optionalField.pipe(z.enum(THINKING_DEPTHS, { error: `Depth must be one of: ${THINKING_DEPTHS.join(", ")}.` }).optional()),
  /** A prepared image the server kept from an earlier question, sent instead of the file. */
  imageId: optionalField.pipe(z.string().regex(/^[\w-]{1,100}$/, "The image id is not valid.").optional()),
  history: historySchema,
});

export type AnalyzeForm = z.infer<typeof formSchema>;

/** The text fields of an analyze request, checked before any work is spent on the image. */
export function readAnalyzeForm(fields: Record<string, string>): AnalyzeForm {
  const result = formSchema.safeParse(fields);
  if (!result.success) {
    const issue = result.error.issues[0];
    const message = issue?.message ?? "The form is not valid.";
    throw new AppError(issue?.path[0] === "prompt" && !fields.prompt?.trim() ? "missing_prompt" : "invalid_request", message);
  }
  return result.data;
}
