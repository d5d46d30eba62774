import "server-only";
import net from "node:net";
import os from "node:os";

/**
 * Host names as the Host/Origin check compares them: lower case, without a port or a trailing
 * dot, IPv6 addresses in brackets ("[::1]"). Pure, so lib/config.ts can use it to read settings.
 */

/** Which host names this server answers to. */
export interface AllowedHosts {
  /** `ALLOWED_HOSTS=*`: any host, for a server whose names cannot be listed in advance. */
  anyHost: boolean;
  names: string[];
}

/** Names a server on this machine is always reachable under. */
export const LOCAL_HOST_NAMES = ["localhost", "127.0.0.1", "[::1]"] as const;

/**
 * The host name in a Host header value, a host list entry or a URL ("Example.com:3000",
 * "[::1]:3000", "https://example.com/app"), normalised; undefined when it is not a host at all.
 */
export function normaliseHostName(value: string): string | undefined {
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  try {
    const url = new URL(trimmed.includes("://") ? trimmed : `http://${trimmed}`);
    // A Host header is a host and an optional port, nothing more.
    if (!trimmed.includes("://") && (url.username || url.password || url.pathname !== "/" || url.search || url.hash)) return undefined;
    const hostname = url.hostname.replace(/\.$/, "");
    return hostname || undefined;
  } catch {
    return undefined;
  }
}

/** Whether a normalised host name is an IP address literal ("10.0.0.5", "[fd00::1]"). */
export function isIpAddress(hostname: string): boolean {
  return net.isIP(hostname.replace(/^\[(.*)\]$/, "$1")) !== 0;
}

/**
 * The host names allowed by default (this machine's local names and its host name), the public
 * URL's and those listed in ALLOWED_HOSTS; "*" in the list allows any. Entries that are not host
 * names are returned in `invalid`.
 */
export function allowedHostsFrom(
  publicUrl: string | undefined,
  listed: string | undefined,
  hostname: string = os.hostname(),
): AllowedHosts & { invalid: string[] } {
  const names = new Set<string>(LOCAL_HOST_NAMES);
  const invalid: string[] = [];
  let anyHost = false;
  const machineName = normaliseHostName(hostname);
  if (machineName) names.add(machineName);
  const publicName = publicUrl ? normaliseHostName(publicUrl) : undefined;
  if (publicName) names.add(publicName);
  for (const entry of (listed ?? "").split(",").map((each) => each.trim()).filter(Boolean)) {
    if (entry === "*") {
      anyHost = true;
      continue;
    }
    const name = normaliseHostName(entry);
    if (name) names.add(name);
    else invalid.push(entry);
  }
  return { anyHost, names: [...names], invalid };
}
