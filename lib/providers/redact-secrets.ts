import "server-only";
import { inspect } from "node:util";
import { getConfig, type AppConfig } from "@/lib/config";
import { AppError } from "@/lib/shared/errors";

/**
 * Model servers and the gateways in front of them sometimes echo the request back in an error:
 * its URL (Gemini's `?key=`), its headers (`Authorization: Bearer …`, `x-goog-api-key`). Whatever
 * they say passes through here before a person or a log sees it.
 */

export const REDACTED = "[redacted]";

/**
 * Keys shorter than this are not looked for verbatim: replacing every "abc" in a message would
 * garble it, and a key that short is no secret anyway.
 */
const MIN_VERBATIM_SECRET_LENGTH = 6;

const CREDENTIAL_HEADERS = "proxy-authorization|authorization|x-goog-api-key|x-api-key|api-key|cookie|set-cookie";

const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // A header echoed as `Name: value`, `"name": "value"` or `name=value`: the whole value goes,
  // whatever scheme it has (Bearer, Basic, a bare key).
  [new RegExp(`\\b(${CREDENTIAL_HEADERS})(["']?\\s*[:=]\\s*["']?)(?:(?:Bearer|Basic|Token)\\s+)?[^\\s"',;}&]+`, "gi"), `$1$2${REDACTED}`],
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{4,}/g, `$1 ${REDACTED}`],
  // Query parameters and form fields that carry keys: `?key=…`, `&api_key=…`, `access_token=…`.
  [/(^|[?&;\s"'(,])((?:api[_-]?key|key|access[_-]?token|token|secret|password)=)[^&\s"'#;,)]+/gi, `$1$2${REDACTED}`],
  // Google API keys and OpenAI-style secret keys, wherever they appear.
  [/AIza[0-9A-Za-z_-]{20,}/g, REDACTED],
  [/\bsk-[A-Za-z0-9_-]{8,}/g, REDACTED],
];

/** `text` with the given secrets and anything that looks like a key or token replaced. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let redacted = text;
  for (const secret of secrets) {
    if (secret && secret.length >= MIN_VERBATIM_SECRET_LENGTH) redacted = redacted.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of SECRET_PATTERNS) redacted = redacted.replace(pattern, replacement);
  return redacted;
}

/**
 * The API keys this server is configured with, which must never leave it. None when the
 * configuration cannot be read: the failure being logged may be that very one.
 */
export function configuredSecrets(config?: AppConfig): string[] {
  let settings: AppConfig;
  try {
    settings = config ?? getConfig();
  } catch {
    return [];
  }
  return [settings.gemini?.apiKey, settings.openai?.apiKey].filter((key): key is string => Boolean(key));
}

/**
 * The same AppError with its message redacted; its cause is left as it is, because it is only
 * ever logged, through `describeForLog`.
 */
export function redactAppError(error: AppError, secrets: readonly (string | undefined)[]): AppError {
  const message = redactSecrets(error.message, secrets);
  if (message === error.message) return error;
  return new AppError(error.code, message, { retryAfterSeconds: error.retryAfterSeconds, cause: error.cause });
}

/**
 * A failure's cause as the log shows it: the whole chain, stack and the SDK's fields (the server's
 * response body and headers) included, as text, with every secret in it redacted.
 */
export function describeForLog(cause: unknown, secrets: readonly (string | undefined)[]): string {
  if (cause === undefined || cause === null || cause === "") return "";
  const text = typeof cause === "string" ? cause : inspect(cause, { depth: 4, breakLength: Infinity });
  return redactSecrets(text, secrets);
}
