import "server-only";
import { AppError } from "@/lib/shared/errors";
import { ANALYZE_FIELDS, analyzeFormSchema, type AnalyzeForm } from "@/lib/shared/analyze-contract";

export type { AnalyzeForm };

/**
 * The text fields of an analyze request, checked before any work is spent on the image. The
 * first problem becomes the error: missing_prompt when the task is absent or blank, otherwise
 * invalid_request, in the schema's own sentence.
 */
export function readAnalyzeForm(fields: Record<string, string>): AnalyzeForm {
  const result = analyzeFormSchema.safeParse(fields);
  if (!result.success) {
    const issue = result.error.issues[0];
    const message = issue?.message ?? "The form is not valid.";
    const promptMissing = issue?.path[0] === ANALYZE_FIELDS.prompt && !fields[ANALYZE_FIELDS.prompt]?.trim();
    throw new AppError(promptMissing ? "missing_prompt" : "invalid_request", message);
  }
  return result.data;
}
