import { z } from "@/lib/shared/zod";

/**
 * A person's own account as the page and the server both see it: /api/tokens, /api/usage and
 * /api/account/* answer with these shapes, and the page checks what it reads against them.
 */

/** A token's name says where it is used ("CI", "laptop script"); longer is not a name. */
export const MAX_TOKEN_NAME_CHARS = 80;
/** Tokens one person may hold at once: enough for every script, few enough to keep track of. */
export const MAX_TOKENS_PER_PERSON = 20;
/** The window of the usage the account page shows. */
export const USAGE_DAYS = 30;

export const tokenNameSchema = z
  .string()
  .trim()
  .min(1, "Give the token a name, such as where it will be used.")
  .max(MAX_TOKEN_NAME_CHARS, `A token's name is at most ${MAX_TOKEN_NAME_CHARS} characters.`);

export const createTokenRequestSchema = z.object({ name: tokenNameSchema });

/** A token as it is listed: never its text, only its last characters to tell it apart. */
export const apiTokenSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  hint: z.string(),
  /** ISO 8601. */
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type ApiTokenSummary = z.infer<typeof apiTokenSummarySchema>;

export const tokenListSchema = z.object({ tokens: z.array(apiTokenSummarySchema) });
export type TokenList = z.infer<typeof tokenListSchema>;

/** A token just made: `token` is its whole text, sent this once and stored only as a hash. */
export const createdTokenSchema = z.object({ token: z.string(), summary: apiTokenSummarySchema });
export type CreatedToken = z.infer<typeof createdTokenSchema>;

export const providerUsageSchema = z.object({
  provider: z.string(),
  analyses: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  totalTokens: z.number(),
});
export type ProviderUsage = z.infer<typeof providerUsageSchema>;

export const usageReportSchema = z.object({
  /** ISO 8601: the start of the window. */
  since: z.string(),
  days: z.literal(USAGE_DAYS),
  byProvider: z.array(providerUsageSchema),
  /** Since 00:00 UTC, against LIMIT_TOKENS_PER_DAY (null when no daily budget is set). */
  today: z.object({ totalTokens: z.number(), tokensPerDay: z.number().nullable() }),
});
export type UsageReport = z.infer<typeof usageReportSchema>;
