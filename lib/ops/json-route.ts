import "server-only";
import { getLogger } from "@/lib/ops/logger";
import { configuredSecrets, describeForLog } from "@/lib/providers/redact-secrets";
import { rejectCrossSite } from "@/lib/security/cross-site";
import { AppError, errorResponse } from "@/lib/shared/errors";

export interface JsonRouteOptions {
  /** State-changing: refused from another site's page (lib/security/cross-site.ts). */
  changes?: boolean;
  /** What a person is told when the database cannot be reached, with a 503 history_unavailable. */
  unavailable: string;
  /** A failure that is the request's fault after all (a bad cursor), as the AppError to answer with. */
  explain?(error: unknown): AppError | undefined;
}

/**
 * One JSON route of the history, account or admin APIs: every AppError (a refused identity, a 404)
 * is answered as it is; anything else thrown is the database's failure, logged without secrets
 * and answered with a 503 that says to try again, never a stack.
 */
export async function answerJson(request: Request, options: JsonRouteOptions, work: () => Promise<Response>): Promise<Response> {
  try {
    if (options.changes) rejectCrossSite(request);
    return await work();
  } catch (error) {
    if (error instanceof AppError) {
      if (error.code === "history_unavailable") logUnavailable(request, error.cause);
      return errorResponse(error);
    }
    const explained = options.explain?.(error);
    if (explained) return errorResponse(explained);
    logUnavailable(request, error);
    return errorResponse(new AppError("history_unavailable", options.unavailable, { retryAfterSeconds: 5, cause: error }));
  }
}

/** A route as the log names it: ids (a segment with a digit in it, as generated ids have) become :id. */
export function routeForLog(url: string): string {
  return new URL(url).pathname.replace(/(?<=\/)(?=[^/]*\d)[^/]{10,}/g, ":id");
}

function logUnavailable(request: Request, cause: unknown) {
  getLogger().error({ route: routeForLog(request.url), method: request.method, code: "history_unavailable", cause: describeForLog(cause, configuredSecrets()) });
}
