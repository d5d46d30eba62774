import "server-only";
import { randomBytes } from "node:crypto";

/**
 * The pages' Content-Security-Policy, a second line of defence behind the markdown sanitiser:
 * even if an answer smuggled a script or an image past it, the browser would run nothing the
 * server did not vouch for and fetch nothing from another origin.
 *
 * Scripts run only with this response's nonce (Next puts it on its own bootstrap scripts, reading
 * it from the request's CSP header) or when loaded by a script that has it ('strict-dynamic'):
 * no 'unsafe-inline', so an injected <script> or inline handler does not run. Styles keep
 * 'unsafe-inline': React's style attributes and the diagram renderer's inline styles need it,
 * and a nonce there would switch it off.
 */
export function pageContentSecurityPolicy(nonce: string, { development = false } = {}): string {
  return [
    "default-src 'self'",
    // React in development rebuilds server error stacks with eval; production never uses it.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${development ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** A fresh, unguessable nonce for one response. */
export function createNonce(): string {
  return randomBytes(18).toString("base64");
}
