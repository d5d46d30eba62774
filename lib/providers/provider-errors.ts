import "server-only";
import { AppError } from "@/lib/shared/errors";

/**
 * Turns what a model server said into an AppError a person can act on. Shared by every remote
 * provider so that a 429 from Gemini and a 429 from vLLM read the same.
 */
export interface UpstreamFailure {
  /** The provider's name as people know it: "Gemini", "the model server". */
  provider: string;
  status: number;
  /** The server's own explanation, when it gave one. */
  detail?: string;
  model: string;
  endpoint: string;
  retryAfterSeconds?: number;
  /** The server says the credentials are wrong even though the status is not 401/403. */
  badCredentials?: boolean;
}

const MAX_DETAIL_LENGTH = 300;

export function upstreamHttpError(failure: UpstreamFailure, cause?: unknown): AppError {
  const { provider, status, model, endpoint, retryAfterSeconds } = failure;
  const detail = failure.detail ? ` It said: “${truncate(failure.detail)}”` : "";
  const options = { cause };
  if (failure.badCredentials || status === 401 || status === 403) {
    return new AppError("provider_auth", `${capitalise(provider)} rejected the API key. Check the key in the server's configuration.`, options);
  }
  if (status === 404) {
    return new AppError("model_not_found", `The model “${model}” is not available on the server at ${endpoint}.`, options);
  }
  if (status === 429) {
    const wait = retryAfterSeconds === undefined ? "in a little while" : `in ${Math.ceil(retryAfterSeconds)} s`;
    return new AppError(
      "provider_quota",
      `${capitalise(provider)} is rate-limiting this server or its quota is used up. Try again ${wait}.`,
      { retryAfterSeconds, ...options },
    );
  }
  if (status === 408 || status === 504) {
    return new AppError("provider_timeout", `${capitalise(provider)} took too long to answer. Try again.`, options);
  }
  if (status >= 500) {
    return new AppError("provider_unavailable", `${capitalise(provider)} is having trouble right now (HTTP ${status}). Try again in a moment.`, options);
  }
  return new AppError("provider_rejected", `${capitalise(provider)} could not handle this request (HTTP ${status}).${detail}`, options);
}

export function unreachableError(provider: string, endpoint: string, cause: unknown): AppError {
  return new AppError("provider_unreachable", `Cannot reach ${provider} at ${endpoint}. Check the address and that the server is running.`, { cause });
}

/** An error the server reported inside its stream, without an HTTP status. */
export function reportedError(provider: string, detail: string, cause: unknown): AppError {
  return new AppError("provider_error", `${capitalise(provider)} reported an error: “${truncate(detail)}”`, { cause });
}

/** The connection broke after the answer had started: what arrived stays on the page. */
export function connectionLostError(provider: string, cause: unknown): AppError {
  return new AppError("provider_error", `The connection to ${provider} broke off in the middle of the answer. The text so far is kept; try again for the rest.`, { cause });
}

/** `model` is a provider's label ("qwen2.5vl:7b · gpu-host:8000"), quoted as it is. */
export function firstTokenTimeoutError(model: string, seconds: number): AppError {
  return new AppError("provider_timeout", `The model (${model}) did not start answering within ${seconds} s. Try again, or try a smaller image.`);
}

export function idleTimeoutError(model: string, seconds: number): AppError {
  return new AppError("provider_timeout", `The model (${model}) stopped answering for ${seconds} s. The text so far is kept; try again for the rest.`);
}

export function contentBlockedError(provider: string, reason: string): AppError {
  return new AppError("content_blocked", `${capitalise(provider)} declined to answer for safety reasons (${reason}). Try rephrasing the task or using another image.`);
}

/** A failure of the connection itself (refused, DNS, reset), as opposed to an HTTP answer. */
export function isNetworkFailure(error: unknown): boolean {
  const codes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT"]);
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && codes.has(code)) return true;
    if (current instanceof TypeError && current.message === "fetch failed") return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** A base URL as messages show it: scheme, host and path, never a query string or credentials. */
export function displayEndpoint(url: string): string {
  const { origin, pathname } = new URL(url);
  return `${origin}${pathname}`.replace(/\/$/, "");
}

function truncate(text: string): string {
  const singleLine = text.replace(/\s+/g, " ").trim();
  return singleLine.length > MAX_DETAIL_LENGTH ? `${singleLine.slice(0, MAX_DETAIL_LENGTH - 1)}…` : singleLine;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
