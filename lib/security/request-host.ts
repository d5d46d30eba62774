import "server-only";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/shared/errors";
import { isIpAddress, normaliseHostName, type AllowedHosts } from "@/lib/security/host-names";

/**
 * The guard against DNS rebinding: a page on attacker.example can point its own name at this
 * server's address, and the browser then lets it read the answers, because to the browser it is
 * the attacker's own origin. The Host header still says attacker.example, so only requests for
 * names this server knows as its own are answered.
 *
 * An IP address in Host is always accepted: rebinding needs a name the attacker controls, and a
 * team reaching the server at http://10.0.0.5:3000 should not have to list the address.
 */
export function hostAndOriginError(headers: Headers, allowed: AllowedHosts): AppError | undefined {
  const host = headers.get("host");
  if (!allowed.anyHost) {
    const hostName = host ? normaliseHostName(host) : undefined;
    if (!hostName || !(allowed.names.includes(hostName) || isIpAddress(hostName))) {
      return new AppError(
        "host_not_allowed",
        `This server does not answer to the name “${shorten(host ?? "")}”. Open it at its own address, or add the name to ALLOWED_HOSTS in the server's configuration.`,
      );
    }
  }
  const origin = headers.get("origin");
  if (origin !== null && !isAllowedOrigin(origin, host, allowed)) {
    return new AppError(
      "origin_not_allowed",
      `Requests from pages at “${shorten(origin)}” are not accepted. Open this tool's own page, or add its name to ALLOWED_HOSTS.`,
    );
  }
  return undefined;
}

/** Throws the 403 AppError for a request whose Host or Origin this server does not answer to. */
export function rejectUntrustedHost(request: Request, allowed: AllowedHosts = getConfig().allowedHosts): void {
  const error = hostAndOriginError(request.headers, allowed);
  if (error) throw error;
}

/**
 * Browsers send Origin with cross-origin requests and with same-origin POSTs. The page's own
 * origin (the same host and port as Host) is fine, and so is a page at a name this server
 * answers to; "null" (a sandboxed frame, a local file) is a page from anywhere.
 */
function isAllowedOrigin(origin: string, host: string | null, allowed: AllowedHosts): boolean {
  if (origin === "null") return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  if (host !== null && url.host === host.trim().toLowerCase()) return true;
  const name = normaliseHostName(url.hostname);
  return allowed.anyHost || (name !== undefined && allowed.names.includes(name));
}

/** Header values are the requester's words: quoted, but never at length. */
function shorten(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 100 ? `${printable.slice(0, 99)}…` : printable;
}
