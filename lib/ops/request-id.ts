import "server-only";
import { randomUUID } from "node:crypto";

/** What a proxy's request id may look like to be kept: short, and nothing a log line could misread. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id that ties a request's log line to the proxy's and the client's: the `X-Request-Id` a
 * proxy in front sent (nginx `$request_id`, Envoy, Traefik), when it is well formed, else a new
 * one. It is sent back in the response, so a person reporting a problem can quote it.
 */
export function requestIdOf(request: Request): string {
  const sent = request.headers.get("x-request-id");
  return sent && REQUEST_ID_PATTERN.test(sent) ? sent : randomUUID();
}
