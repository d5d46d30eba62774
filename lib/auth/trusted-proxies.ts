import "server-only";
import net from "node:net";
import { normalizeAddress, peerAddressOf } from "@/lib/ops/peer-address";

/**
 * The reverse proxies whose word this server takes (AUTH_TRUSTED_PROXIES): the identity header of
 * AUTH_MODE=proxy and the client address of X-Forwarded-For are believed only from them. Checked
 * against the TCP peer's own address (lib/ops/peer-address.ts), never against a header.
 */

/** Loopback: a proxy on the same machine (nginx, oauth2-proxy, Caddy next to the app). */
export const DEFAULT_TRUSTED_PROXIES = "127.0.0.0/8, ::1/128";

/**
 * AUTH_TRUSTED_PROXIES as a BlockList: comma-separated CIDR ranges (`10.0.0.0/8`, `fd00::/8`) or
 * single addresses, IPv4 or IPv6; DEFAULT_TRUSTED_PROXIES when unset. An entry that is neither is
 * left out and returned in `invalid`, for the configuration check to name.
 */
export function parseTrustedProxies(value: string | undefined): { list: net.BlockList; invalid: string[] } {
  const list = new net.BlockList();
  const invalid: string[] = [];
  for (const entry of (value ?? DEFAULT_TRUSTED_PROXIES).split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    if (!addEntry(list, entry)) invalid.push(entry);
  }
  return { list, invalid };
}

function addEntry(list: net.BlockList, entry: string): boolean {
  const match = /^([^/]+?)(?:\/(\d{1,3}))?$/.exec(entry);
  if (!match) return false;
  const address = normalizeAddress(match[1]);
  if (address === undefined) return false;
  const family = net.isIPv4(address) ? "ipv4" : "ipv6";
  const prefix = match[2] === undefined ? (family === "ipv4" ? 32 : 128) : Number(match[2]);
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range (10.0.0.0/8).
  const mappedPrefix = family === "ipv4" && net.isIPv6(match[1]!.replace(/^\[(.*)\]$/, "$1")) && match[2] !== undefined ? prefix - 96 : prefix;
  if (mappedPrefix < 0 || mappedPrefix > (family === "ipv4" ? 32 : 128)) return false;
  try {
    list.addSubnet(address, mappedPrefix, family);
  } catch {
    return false;
  }
  return true;
}

/** Whether an address (IPv4, IPv6, or IPv4-mapped IPv6) is in the list; false for anything that is not an address. */
export function isTrusted(list: net.BlockList, address: string): boolean {
  const normalized = normalizeAddress(address);
  if (normalized === undefined) return false;
  return list.check(normalized, net.isIPv4(normalized) ? "ipv4" : "ipv6");
}

/**
 * The address to count a request against (rate limits, fair use): the TCP peer's; or, when the
 * peer is a trusted proxy, the client it names in X-Forwarded-For. That header is read from the
 * right, each proxy having appended the address it saw: the first address that is not a trusted
 * proxy is the client, and whatever lies left of it was written by the client and is ignored. An
 * entry that is not an address ends the walk at the last trusted hop. Undefined without a peer
 * address (installPeerAddressHeader not installed).
 */
export function clientAddress(headers: Headers, trusted: net.BlockList): string | undefined {
  const peer = peerAddressOf(headers);
  if (peer === undefined || !isTrusted(trusted, peer)) return peer;
  const forwarded = (headers.get("x-forwarded-for") ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  let client = peer;
  for (let i = forwarded.length - 1; i >= 0; i--) {
    const address = forwardedAddress(forwarded[i]!);
    if (address === undefined) break;
    client = address;
    if (!isTrusted(trusted, address)) break;
  }
  return client;
}

/** One X-Forwarded-For entry's address: bare, or with a port as some proxies write it (`1.2.3.4:5678`, `[2001:db8::1]:443`). */
function forwardedAddress(entry: string): string | undefined {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return normalizeAddress(bracketed[1]);
  const withPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry);
  return normalizeAddress(withPort ? withPort[1] : entry);
}
