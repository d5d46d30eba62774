import { z } from "zod";
import { AppError } from "@/lib/errors";

export const MAX_PROMPT_CHARS = 10_000;

const formSchema = z.object({
  prompt: z
    .string({ error: "Type a task for the model, e.g. “Explain this architecture”." })
    .trim()
    .min(1, "Type a task for the model, e.g. “Explain this architecture”.")
    .max(MAX_PROMPT_CHARS, `The task is longer than ${MAX_PROMPT_CHARS.toLocaleString("en")} characters.`),
  /** Which configured provider should answer; the server's default when absent. */
  provider: z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined),
});

export type AnalyzeForm = z.infer<typeof formSchema>;

/** The text fields of an analyze request, checked before any work is spent on the image. */
export function readAnalyzeForm(fields: Record<string, string>): AnalyzeForm {
  const result = formSchema.safeParse(fields);
  if (!result.success) {
    const message = result.error.issues[0]?.message ?? "The form is not valid.";
    throw new AppError(fields.prompt?.trim() ? "invalid_request" : "missing_prompt", 400, message);
  }
  return result.data;
}
