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
  | "request_cancelled"
  | "server_busy"
  | "internal_error";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryAfterSeconds?: number };
}

export class AppError extends Error {
  override name = "AppError";

  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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
  return new AppError("internal_error", 500, "Something went wrong on the server. Please try again.", undefined, {
    cause: error,
  });
}

export function errorResponse(error: AppError): Response {
  const headers: Record<string, string> = { "Cache-Control": "no-store" };
  if (error.retryAfterSeconds !== undefined) headers["Retry-After"] = String(Math.ceil(error.retryAfterSeconds));
  return Response.json(error.toBody(), { status: error.status, headers });
}
