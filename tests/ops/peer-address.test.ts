import { once } from "node:events";
import http from "node:http";
import net from "node:net";
import { fromNodeOutgoingHttpHeaders } from "next/dist/server/web/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  installPeerAddressHeader,
  listeningBeyondLoopback,
  normalizeAddress,
  PEER_ADDRESS_HEADER,
  PEER_ADDRESS_PROOF_HEADER,
  peerAddressHeaders,
  peerAddressOf,
  warnWhenListeningBeyondLoopback,
} from "@/lib/ops/peer-address";

/**
 * The patch on a plain node:http server, as Next's own: what a handler sees when a client forges
 * X-Peer-Address, and where the server listens. Requests are sent by node:http with raw header
 * arrays, so the forged header goes out exactly as written, in any casing, as often as listed.
 */

/**
 * What a handler saw of the header: each parsed view of the Node request, and what peerAddressOf
 * reads from the Web Headers Next builds from it (the proof stands for the process's own value).
 */
interface Seen {
  headers: string | undefined;
  distinct: string[] | undefined;
  raw: string[];
  proof: "this process's" | string[] | undefined;
  web: string | undefined;
}

function seenBy(request: http.IncomingMessage): Seen {
  const ownProof = peerAddressHeaders("127.0.0.1")[PEER_ADDRESS_PROOF_HEADER];
  const raw: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1]!;
    if (name === PEER_ADDRESS_HEADER || name === PEER_ADDRESS_PROOF_HEADER) raw.push(`${request.rawHeaders[i]}: ${value === ownProof ? "(proof)" : value}`);
  }
  const proof = request.headersDistinct[PEER_ADDRESS_PROOF_HEADER];
  return {
    headers: request.headers[PEER_ADDRESS_HEADER] as string | undefined,
    distinct: request.headersDistinct[PEER_ADDRESS_HEADER],
    raw,
    proof: proof?.length === 1 && proof[0] === ownProof ? "this process's" : proof,
    web: peerAddressOf(fromNodeOutgoingHttpHeaders(request.headers)),
  };
}

/** A server that answers each request with what it saw, as JSON. */
async function startEchoServer(host: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify(seenBy(request)));
  });
  server.listen(0, host);
  await once(server, "listening");
  return { server, port: (server.address() as net.AddressInfo).port };
}

async function close(server: http.Server): Promise<void> {
  if (!server.listening) return;
  server.close();
  server.closeAllConnections();
  await once(server, "close");
}

/** One request with exactly these header lines (a flat [name, value, …] list), on its own connection. */
function send(port: number, headerLines: string[], host = "127.0.0.1"): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host, port, path: "/", agent: false, headers: ["Host", "localhost", "Connection", "close", ...headerLines] }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode!, body, headers: response.headers }));
    });
    request.on("error", reject);
    request.end();
  });
}

async function seen(port: number, headerLines: string[], host?: string): Promise<Seen> {
  const response = await send(port, headerLines, host);
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as Seen;
}

const FORGED = [
  ["X-Peer-Address", "10.9.9.9"],
  ["x-peer-address", "10.9.9.9"],
  ["X-PEER-ADDRESS", "10.9.9.9"],
  ["x-Peer-aDDress", "10.9.9.9"],
  ["X-Peer-Address-Proof", "guessed"],
  ["x-PEER-address-proof", "guessed"],
];

function expectOnlyPeer(result: Seen, peer: string) {
  expect(result).toEqual({
    headers: peer,
    distinct: [peer],
    raw: [`${PEER_ADDRESS_HEADER}: ${peer}`, `${PEER_ADDRESS_PROOF_HEADER}: (proof)`],
    proof: "this process's",
    web: peer,
  });
}

// As in `next start`: the server listens and accepts a request before instrumentation installs
// the patch, and handles it only once instrumentation is done.
let early: { server: http.Server; seen: Promise<Seen> };
const originalEmit = http.Server.prototype.emit;

beforeAll(async () => {
  let ready!: () => void;
  const instrumented = new Promise<void>((resolve) => (ready = resolve));
  let accepted!: () => void;
  const received = new Promise<void>((resolve) => (accepted = resolve));
  const server = http.createServer((request, response) => {
    accepted();
    void instrumented.then(() => response.end(JSON.stringify(seenBy(request))));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  const response = send(port, ["X-Peer-Address", "10.9.9.9", "x-peer-address", "192.168.0.1", "X-Peer-Address-Proof", "guessed"]);
  await received;
  installPeerAddressHeader();
  installPeerAddressHeader();
  ready();
  early = { server, seen: response.then((answer) => JSON.parse(answer.body) as Seen) };
});

afterAll(async () => {
  await close(early.server);
});

describe("installPeerAddressHeader", () => {
  it("cannot reach a request the server emitted before it was installed, and peerAddressOf believes none of its headers", async () => {
    expect(await early.seen).toEqual({
      headers: "10.9.9.9, 192.168.0.1",
      distinct: ["10.9.9.9", "192.168.0.1"],
      raw: ["X-Peer-Address: 10.9.9.9", "x-peer-address: 192.168.0.1", "X-Peer-Address-Proof: guessed"],
      proof: ["guessed"],
      web: undefined,
    });
    await close(early.server);
  });

  it("patches the servers' emit once however often it is called", () => {
    const patched = http.Server.prototype.emit;
    expect(patched).not.toBe(originalEmit);
    installPeerAddressHeader();
    expect(http.Server.prototype.emit).toBe(patched);
  });

  describe("on a server started after it", () => {
    let port: number;
    let server: http.Server;
    beforeAll(async () => ({ server, port } = await startEchoServer("127.0.0.1")));
    afterAll(() => close(server));

    it("sets the socket's address when the client sends none", async () => {
      expectOnlyPeer(await seen(port, []), "127.0.0.1");
    });

    it.each(FORGED)("replaces a forged %s header", async (name, value) => {
      expectOnlyPeer(await seen(port, [name, value]), "127.0.0.1");
    });

    it("replaces a forged header sent several times, in several casings, among others", async () => {
      const lines = ["X-Forwarded-For", "10.9.9.9", ...FORGED.flat(), "X-Peer-Address", "", "X-Peer-Address", "::1", "Accept", "*/*"];
      const result = await seen(port, lines);
      expectOnlyPeer(result, "127.0.0.1");
    });

    it("keeps the other headers and their order", async () => {
      const all = http.createServer((request, reply) => reply.end(JSON.stringify({ raw: request.rawHeaders, headers: request.headers })));
      all.listen(0, "127.0.0.1");
      await once(all, "listening");
      try {
        const answer = await send((all.address() as net.AddressInfo).port, ["X-First", "1", "X-Peer-Address", "10.9.9.9", "X-Second", "2"]);
        const { raw, headers } = JSON.parse(answer.body) as { raw: string[]; headers: Record<string, string> };
        const own = peerAddressHeaders("127.0.0.1");
        expect(raw).toEqual(["Host", "localhost", "Connection", "close", "X-First", "1", "X-Second", "2", ...Object.entries(own).flat()]);
        expect(headers).toEqual({ host: "localhost", connection: "close", "x-first": "1", "x-second": "2", ...own });
      } finally {
        await close(all);
      }
    });

    it("sets it on requests that wait for 100 Continue", async () => {
      const waiting = http.createServer();
      waiting.on("checkContinue", (request: http.IncomingMessage, response: http.ServerResponse) => response.end(JSON.stringify(seenBy(request))));
      waiting.listen(0, "127.0.0.1");
      await once(waiting, "listening");
      try {
        expectOnlyPeer(await seen((waiting.address() as net.AddressInfo).port, ["Expect", "100-continue", "X-Peer-Address", "10.9.9.9"]), "127.0.0.1");
      } finally {
        await close(waiting);
      }
    });

    it("leaves the responses this process receives as a client alone", async () => {
      const upstream = http.createServer((_request, response) => {
        response.setHeader("X-Peer-Address", "198.51.100.1");
        response.end("ok");
      });
      upstream.listen(0, "127.0.0.1");
      await once(upstream, "listening");
      try {
        const response = await send((upstream.address() as net.AddressInfo).port, []);
        expect(response.headers[PEER_ADDRESS_HEADER]).toBe("198.51.100.1");
      } finally {
        await close(upstream);
      }
    });
  });

  it("writes an IPv6 peer in its canonical form", async (context) => {
    let started: { server: http.Server; port: number };
    try {
      started = await startEchoServer("::1");
    } catch {
      context.skip("no IPv6 loopback here");
      return;
    }
    try {
      expectOnlyPeer(await seen(started.port, ["X-Peer-Address", "::1"], "::1"), "::1");
    } finally {
      await close(started.server);
    }
  });
});

describe("normalizeAddress and peerAddressOf", () => {
  it.each([
    ["1.2.3.4", "1.2.3.4"],
    [" 1.2.3.4 ", "1.2.3.4"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:1.2.3.4", "1.2.3.4"],
    ["::ffff:a00:1", "10.0.0.1"],
    ["[::1]", "::1"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:DB8:0::1", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
  ])("reads %j as %j", (value, expected) => {
    expect(normalizeAddress(value)).toBe(expected);
  });

  it.each([undefined, "", "localhost", "1.2.3", "1.2.3.4:80", "1.2.3.4, 5.6.7.8", "01.2.3.4"])("reads %j as no address", (value) => {
    expect(normalizeAddress(value)).toBeUndefined();
  });

  it("reads the header from Web Headers with this process's proof, and nothing without it", () => {
    expect(peerAddressOf(new Headers(peerAddressHeaders("::ffff:127.0.0.1")))).toBe("127.0.0.1");
    expect(peerAddressOf(new Headers({ "X-Peer-Address": "127.0.0.1" }))).toBeUndefined();
    expect(peerAddressOf(new Headers({ "X-Peer-Address": "127.0.0.1", "X-Peer-Address-Proof": "guessed" }))).toBeUndefined();
    expect(peerAddressOf(new Headers())).toBeUndefined();
  });
});

describe("listeningBeyondLoopback", () => {
  it("is undefined while the servers listen on loopback, and names 0.0.0.0 and its port once one does", async () => {
    const loopback = await startEchoServer("127.0.0.1");
    const warnings: string[] = [];
    try {
      expect(listeningBeyondLoopback()).toBeUndefined();
      warnWhenListeningBeyondLoopback((message) => warnings.push(message));
      expect(warnings).toEqual([]);

      const everywhere = http.createServer();
      everywhere.listen(0, "0.0.0.0");
      await once(everywhere, "listening");
      const { port } = everywhere.address() as net.AddressInfo;
      try {
        expect(listeningBeyondLoopback()).toEqual({ address: "0.0.0.0", port });
        expect(warnings).toEqual([
          `AUTH_MODE is none and the server listens on 0.0.0.0:${port}: anyone who can reach it can use it and read its history. Set AUTH_MODE (docs/deploy.md) before sharing it.`,
        ]);
        // Asked again while it listens: said at once.
        warnWhenListeningBeyondLoopback((message) => warnings.push(message));
        expect(warnings).toHaveLength(2);
      } finally {
        await close(everywhere);
      }
      expect(listeningBeyondLoopback()).toBeUndefined();
      expect(warnings).toHaveLength(2);
    } finally {
      await close(loopback.server);
    }
  });

  it("finds a server that was already listening when the patch was installed", async () => {
    // Not this file's: installed once above. A fresh module state in a child process instead.
    const script = `
      const http = require("node:http");
      const server = http.createServer().listen(0, "0.0.0.0", async () => {
        const peer = await import(${JSON.stringify(new URL("../../lib/ops/peer-address.ts", import.meta.url).href)});
        peer.installPeerAddressHeader();
        const found = peer.listeningBeyondLoopback();
        process.stdout.write(JSON.stringify({ found, port: server.address().port }));
        server.close();
      });`;
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=react-server", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let errors = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (errors += chunk));
    const [code] = (await once(child, "exit")) as [number | null];
    expect(errors).toBe("");
    expect(code).toBe(0);
    const { found, port } = JSON.parse(output) as { found: unknown; port: number };
    expect(found).toEqual({ address: "0.0.0.0", port });
  });
});
