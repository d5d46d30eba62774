import "server-only";
import { randomBytes } from "node:crypto";
import http from "node:http";
import https from "node:https";
import net from "node:net";

/**
 * The address of the TCP peer that sent a request, as a request header route handlers and server
 * components can read. They see a Web `Request`, built by Next from the Node request's `headers`
 * object (`fromNodeOutgoingHttpHeaders` in next/dist/server/web/utils.js), and no socket; and
 * Next fills `X-Forwarded-For` with `??=`, keeping whatever the client sent. So `emit` of this
 * process's http.Server and https.Server is patched to write the socket's own address into
 * `X-Peer-Address` on every request, replacing any the client sent, in any casing, as often as
 * it sent it, in `headers`, `headersDistinct` and `rawHeaders` alike.
 *
 * `next start` (and the standalone server.js) listens before it runs instrumentation.ts, and a
 * request that arrives in between is emitted before the patch exists; it waits, and is handled
 * once instrumentation is done, its headers as the client wrote them. (Node's `headers` getter
 * cannot be replaced: it is not configurable.) So the patch also sets `X-Peer-Address-Proof` to a
 * random value made when this module first loads (in `register()`), which no request sent before
 * could know, and `peerAddressOf` believes the address only with it. The value may leak later (a
 * page that echoes headers): by then every request is patched and the client's copy replaced.
 */

/** The header, lower case as Node and `Headers` give it. */
export const PEER_ADDRESS_HEADER = "x-peer-address";
/** Set with it: this process's proof that the patch, not a client, wrote the address. */
export const PEER_ADDRESS_PROOF_HEADER = "x-peer-address-proof";

interface PeerAddressState {
  installed: boolean;
  proof: string;
  /** The servers seen listening, until they close. */
  servers: Set<net.Server>;
  /** Callers of warnWhenListeningBeyondLoopback still waiting for a server to listen. */
  pendingWarnings: Array<(message: string) => void>;
}

/** One state per process: Next bundles instrumentation.ts and each route apart, each with its own copy of this module. */
const state: PeerAddressState = ((globalThis as { [key: symbol]: PeerAddressState })[Symbol.for("multimodal-reasoning-agent.peer-address")] ??= {
  installed: false,
  proof: randomBytes(18).toString("base64url"),
  servers: new Set(),
  pendingWarnings: [],
});

/** The server events whose first argument is the request (its socket the peer's). */
const REQUEST_EVENTS = new Set<string | symbol>(["request", "checkContinue", "checkExpectation", "upgrade", "connect"]);

/**
 * Installs the patch, once per process. Called from instrumentation.ts's `register()`; servers
 * made before it (Next's own) are covered as well, since the patch is on the prototypes.
 */
export function installPeerAddressHeader(): void {
  if (state.installed) return;
  state.installed = true;
  for (const serverPrototype of new Set([http.Server.prototype, https.Server.prototype])) {
    const emit = serverPrototype.emit as (this: net.Server, event: string | symbol, ...args: unknown[]) => boolean;
    serverPrototype.emit = function emitWithPeerAddress(this: net.Server, event: string | symbol, ...args: unknown[]): boolean {
      if (REQUEST_EVENTS.has(event) && args[0] instanceof http.IncomingMessage) {
        stamp(args[0]);
        // Where the server listens, should its `listening` have come before the patch (below).
        if (event === "request" && !state.servers.has(this)) serverListening(this);
      } else if (event === "close") {
        state.servers.delete(this);
      }
      const handled = emit.call(this, event, ...args);
      if (event === "listening") serverListening(this);
      return handled;
    } as typeof serverPrototype.emit;
  }
  // Next's server is already listening when instrumentation runs: found among the process's
  // handles (undocumented, hence optional; its first request finds it otherwise).
  const handles = (process as { _getActiveHandles?: () => unknown[] })._getActiveHandles?.() ?? [];
  for (const handle of handles) {
    if ((handle instanceof http.Server || handle instanceof https.Server) && handle.listening) state.servers.add(handle);
  }
}

/** Replaces whatever the client sent as either header by the socket's address and the proof. */
function stamp(request: http.IncomingMessage): void {
  // Both parsed views are made from rawHeaders on first read, by a count Node took when it parsed
  // them: made now, before rawHeaders changes length.
  const headers = request.headers;
  const distinct = request.headersDistinct;
  const raw: string[] = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    if (name !== PEER_ADDRESS_HEADER && name !== PEER_ADDRESS_PROOF_HEADER) raw.push(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
  }
  for (const name of [PEER_ADDRESS_HEADER, PEER_ADDRESS_PROOF_HEADER]) {
    delete headers[name];
    delete distinct[name];
  }
  // A socket already gone has no address: the request then has no header, never the client's.
  const peer = normalizeAddress(request.socket?.remoteAddress);
  if (peer !== undefined) {
    for (const [name, value] of [[PEER_ADDRESS_HEADER, peer], [PEER_ADDRESS_PROOF_HEADER, state.proof]] as const) {
      headers[name] = value;
      distinct[name] = [value];
      raw.push(name, value);
    }
  }
  request.rawHeaders = raw;
}

/**
 * The TCP peer's address that installPeerAddressHeader put on the request; undefined without one,
 * or for a request the server accepted before the patch was installed (it carries no proof).
 */
export function peerAddressOf(headers: Headers): string | undefined {
  if (headers.get(PEER_ADDRESS_PROOF_HEADER) !== state.proof) return undefined;
  return normalizeAddress(headers.get(PEER_ADDRESS_HEADER) ?? undefined);
}

/**
 * The two headers the patch sets for a peer at `address`, for tests (and code of this process)
 * that build a request themselves and want peerAddressOf to read it.
 */
export function peerAddressHeaders(address: string): Record<string, string> {
  return { [PEER_ADDRESS_HEADER]: address, [PEER_ADDRESS_PROOF_HEADER]: state.proof };
}

/**
 * An IP address in one canonical spelling, so that one client is always one key: IPv6 compressed
 * and in lower case, without brackets or zone, and an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`,
 * how a dual-stack socket reports an IPv4 peer) as the IPv4 address. Undefined for anything else.
 */
export function normalizeAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim().replace(/^\[(.*)\]$/, "$1");
  const family = net.isIP(text);
  if (family === 0) return undefined;
  let address: string;
  try {
    address = new net.SocketAddress({ address: text, family: family === 4 ? "ipv4" : "ipv6" }).address;
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  return mapped ? mapped[1] : address;
}

/** Where a server listens: the address and port it bound. */
export interface BoundAddress {
  address: string;
  port: number;
}

/**
 * Where this process's HTTP server listens, when that is beyond loopback (0.0.0.0, ::, or an
 * interface's address), as remembered from its `listening` event; undefined while it listens only
 * on 127.0.0.0/8 or ::1, or on a Unix socket, or before installPeerAddressHeader.
 */
export function listeningBeyondLoopback(): BoundAddress | undefined {
  for (const server of state.servers) {
    const bound = server.address();
    if (bound !== null && typeof bound === "object" && !isLoopback(bound.address)) return { address: bound.address, port: bound.port };
  }
  return undefined;
}

/**
 * Tells `log` once that the server can be reached from other machines while anyone reaching it is
 * the local owner: call it only when AUTH_MODE is none. Logs at once if the server already
 * listens beyond loopback, else when one starts to; never when it listens on loopback only.
 */
export function warnWhenListeningBeyondLoopback(log: (message: string) => void): void {
  const bound = listeningBeyondLoopback();
  if (bound) log(beyondLoopbackWarning(bound));
  else state.pendingWarnings.push(log);
}

function serverListening(server: net.Server): void {
  state.servers.add(server);
  const bound = listeningBeyondLoopback();
  if (!bound) return;
  for (const log of state.pendingWarnings.splice(0)) {
    try {
      log(beyondLoopbackWarning(bound));
    } catch (error) {
      // A failing log must not fail the server's own `listening` event.
      console.error(error);
    }
  }
}

function beyondLoopbackWarning({ address, port }: BoundAddress): string {
  const host = net.isIPv6(address) ? `[${address}]` : address;
  return `AUTH_MODE is none and the server listens on ${host}:${port}: anyone who can reach it can use it and read its history. Set AUTH_MODE (docs/deploy.md) before sharing it.`;
}

function isLoopback(address: string): boolean {
  const normalized = normalizeAddress(address);
  return normalized !== undefined && (normalized === "::1" || /^127\./.test(normalized));
}
