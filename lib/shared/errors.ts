
/**
 * The one error type the API speaks. Everything that can go wrong with a request, from a bad
 * upload to a provider failure, becomes an AppError with a stable code, an HTTP status and a
 * sentence a person can act on.
 */
export type ErrorCode =
  | "invalid_request"
  | "missing_image"
  | "image_expired"
  | "missing_prompt"
  | "too_many_files"
  | "empty_file"
  | "file_too_large"
  | "upload_timeout"
  | "unsupported_media_type"
  | "invalid_image"
  | "image_too_large"
  | "image_too_complex"
  | "content_blocked"
  | "provider_auth"
  | "provider_quota"
  | "provider_rejected"
  | "model_not_found"
  | "image_not_supported"
  | "provider_unavailable"
  | "provider_unreachable"
  | "provider_timeout"
  | "provider_error"
  | "cross_site_request"
  | "host_not_allowed"
  | "origin_not_allowed"
  | "request_cancelled"
  | "server_busy"
  | "server_restarting"
  | "answer_too_long"
  | "not_found"
  | "history_unavailable"
  | "unauthorized"
  | "untrusted_proxy_header"
  | "account_disabled"
  | "forbidden"
  | "rate_limited"
  | "token_budget_exhausted"
  | "internal_error";

/**
 * The HTTP status each code answers with. A failure's code is chosen where it happens (a provider
 * picks provider_quota, never 503); the status follows from it here, so one code always means one
 * status.
 */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  missing_image: 400,
  image_expired: 410,
  missing_prompt: 400,
  too_many_files: 400,
  empty_file: 400,
  file_too_large: 413,
  unsupported_media_type: 415,
  invalid_image: 422,
  image_too_large: 422,
  content_blocked: 422,
  provider_auth: 502,
  provider_quota: 503,
  provider_rejected: 502,
  model_not_found: 502,
  image_not_supported: 502,
  provider_unavailable: 503,
  provider_unreachable: 502,
  provider_timeout: 504,
  provider_error: 502,
  cross_site_request: 403,
  host_not_allowed: 403,
  origin_not_allowed: 403,
  upload_timeout: 408,
  image_too_complex: 422,
  server_busy: 503,
  // Only ever sent as an event mid-answer; as a status, the model server's fault.
  answer_too_long: 502,
  // Draining before a restart: another instance (or this one, restarted) takes the next try.
  server_restarting: 503,
  // Unknown, someone else's, deleted, revoked: one answer for all, so no id can be probed.
  not_found: 404,
  history_unavailable: 503,
  // Not signed in, or a session or token that is expired, forged or revoked: sign in again.
  unauthorized: 401,
  // An identity header from an address that is not a trusted proxy: nobody may claim to be someone.
  untrusted_proxy_header: 401,
  // Signed in, but an admin has disabled the account: signing in again does not help.
  account_disabled: 403,
  // Signed in, but the action is an admin's.
  forbidden: 403,
  rate_limited: 429,
  token_budget_exhausted: 429,
  // Nobody reads it: the client has gone. nginx's code for that, so the log says what happened.
  request_cancelled: 499,
  internal_error: 500,
};

export interface AppErrorOptions {
  /** How long the client should wait before trying again; sent as Retry-After. */
  retryAfterSeconds?: number;
  /** What went wrong underneath, for the log; never sent to the client. */
  cause?: unknown;
}

/** What a failed request answers with (checked by the page against analyze-contract's schema). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryAfterSeconds?: number };
}

/**
 * Marks every AppError, whichever copy of this module made it. Next bundles a module once per
 * chunk, so an error thrown by a runtime that another chunk created fails a plain instanceof;
 * the brand lives in the global symbol registry, which every copy shares.
 */
const APP_ERROR_BRAND = Symbol.for("multimodal-reasoning-agent.AppError");

export class AppError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && APP_ERROR_BRAND in value;
  }

  override name = "AppError";
  readonly [APP_ERROR_BRAND] = true;
  readonly status: number;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    { retryAfterSeconds, cause }: AppErrorOptions = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = ERROR_STATUS[code];
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: this.retryAfterSeconds }),
      },
    };
  }
}

/** Anything thrown becomes an AppError; unknown failures get a generic sentence, never a stack. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  return new AppError("internal_error", "Something went wrong on the server. Please try again.", { cause: error });
}

export function errorResponse(error: AppError, extraHeaders: Record<string, string> = {}): Response {
  const headers: Record<string, string> = { ...extraHeaders, "Cache-Control": "no-store" };
  if (error.retryAfterSeconds !== undefined) headers["Retry-After"] = String(Math.ceil(error.retryAfterSeconds));
  return Response.json(error.toBody(), { status: error.status, headers });
}
