import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/tests/helpers/free-port";
import { APP_SETTING_VARIABLES, startNextServer, TEST_DIST_DIR, type RunningServer } from "@/tests/helpers/next-server";
import { stopProcess } from "@/tests/helpers/standalone";

/**
 * The peer address in the production build (`next start`, lib/ops/peer-address.ts). No route shows
 * it, so it is seen through AUTH_MODE=proxy, which believes X-Forwarded-Email only from a peer in
 * AUTH_TRUSTED_PROXIES: GET /api/conversations answers 200 when the route sees a trusted peer and
 * 401 untrusted_proxy_header when not. Requests go out through node:http with raw header lists, so
 * a forged X-Peer-Address is sent exactly as written. And the startup warning for AUTH_MODE=none
 * on a server reachable from other machines.
 */

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
const NEXT_BIN = path.join(PROJECT_ROOT, "node_modules/next/dist/bin/next");
const LISTENING_WARNING = "AUTH_MODE is none and the server listens on";

interface RawResponse {
  status: number;
  body: string;
}

function rawGet(port: number, urlPath: string, headerLines: string[]): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: "127.0.0.1", port, path: urlPath, agent: false, headers: ["Host", `127.0.0.1:${port}`, "Connection", "close", ...headerLines] },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode!, body }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end();
  });
}

const SIGNED_IN = ["X-Forwarded-Email", "ada@example.com"];

/** Forged peer addresses: in several casings, repeated, with a guessed proof. */
const FORGERIES: Array<[string, string[]]> = [
  ["one header", ["X-Peer-Address", "10.0.0.1"]],
  ["lower case", ["x-peer-address", "10.0.0.1"]],
  ["upper case", ["X-PEER-ADDRESS", "10.0.0.1"]],
  ["repeated in mixed casings", ["x-Peer-Address", "10.0.0.1", "X-PEER-address", "10.0.0.1", "x-peer-address", "10.0.0.2"]],
  ["with a guessed proof", ["X-Peer-Address", "10.0.0.1", "X-Peer-Address-Proof", "guessed", "x-peer-address-proof", "guessed"]],
  ["and X-Forwarded-For", ["X-Forwarded-For", "10.0.0.1", "X-Peer-Address", "10.0.0.1"]],
];

describe("a route behind AUTH_MODE=proxy trusting only 10.0.0.0/8, reached from 127.0.0.1", () => {
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    server = await startNextServer({ AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.0/8" });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server?.stop());

  it.each(FORGERIES)("sees the socket's address, not a forged X-Peer-Address (%s)", async (_name, forged) => {
    const response = await rawGet(port, "/api/conversations", [...SIGNED_IN, ...forged]);
    expect(response.status).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: "untrusted_proxy_header" } });
  });

  it("does not warn about the network when it listens on loopback", () => {
    expect(server.output()).not.toContain(LISTENING_WARNING);
  });
});

describe("a route behind AUTH_MODE=proxy trusting loopback (the default), reached from 127.0.0.1", () => {
  let server: RunningServer;
  let port: number;
  beforeAll(async () => {
    server = await startNextServer({ AUTH_MODE: "proxy" });
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server?.stop());

  it("sees 127.0.0.1 and takes the proxy's header", async () => {
    const response = await rawGet(port, "/api/conversations", SIGNED_IN);
    expect(response.status).toBe(200);
  });

  it("sees 127.0.0.1 whatever address the client claims", async () => {
    const response = await rawGet(port, "/api/conversations", [...SIGNED_IN, "X-Peer-Address", "203.0.113.9", "x-peer-address", "203.0.113.10"]);
    expect(response.status).toBe(200);
  });
});

/**
 * `next start` run here rather than by startNextServer, which waits until the server is ready and
 * always listens on 127.0.0.1: these look at the start itself.
 */
function spawnNextStart(host: string, port: number, env: Record<string, string>): { child: ChildProcess; output: () => string; cleanup: () => void } {
  const data = mkdtempSync(path.join(os.tmpdir(), "mra-peer-address-"));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !APP_SETTING_VARIABLES.test(key) && !key.startsWith("AUTH_")));
  const child = spawn(process.execPath, [NEXT_BIN, "start", "-H", host, "-p", String(port)], {
    cwd: PROJECT_ROOT,
    env: { ...inherited, NEXT_DIST_DIR: TEST_DIST_DIR, NODE_ENV: "production", DATA_DIR: data, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return {
    child,
    output: () => output,
    cleanup: () => rmSync(data, { recursive: true, force: true }),
  };
}

it("believes no forged X-Peer-Address sent while the server starts, before instrumentation has run", { timeout: 120_000 }, async () => {
  // next start listens first and runs instrumentation.ts seconds later: the requests it accepts in
  // between wait, and reach the route with their headers as sent. Without the proof none is believed.
  const port = await freePort();
  const { child, output, cleanup } = spawnNextStart("127.0.0.1", port, { AUTH_MODE: "proxy", AUTH_TRUSTED_PROXIES: "10.0.0.0/8" });
  const statuses: number[] = [];
  let connected = 0;
  try {
    const deadline = Date.now() + 60_000;
    const inFlight: Array<Promise<void>> = [];
    // Until the first answer, or until enough requests wait: each one is accepted before Next is ready.
    while (statuses.length === 0 && connected < 30 && Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output()}`);
      const probe = net.connect(port, "127.0.0.1");
      const listening = await new Promise<boolean>((resolve) => {
        probe.once("connect", () => resolve(true));
        probe.once("error", () => resolve(false));
      });
      probe.destroy();
      if (listening) {
        connected += 1;
        inFlight.push(rawGet(port, "/api/conversations", [...SIGNED_IN, "X-Peer-Address", "10.0.0.1", "X-Peer-Address-Proof", "guessed"]).then((response) => void statuses.push(response.status)));
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.all(inFlight);
    expect(connected, output()).toBeGreaterThan(1);
    expect(statuses).toEqual(statuses.map(() => 401));
    expect(statuses).toHaveLength(connected);
  } finally {
    await stopProcess(child);
    cleanup();
  }
});

it("warns at startup when AUTH_MODE is none and the server listens on 0.0.0.0", { timeout: 60_000 }, async () => {
  const port = await freePort();
  const { child, output, cleanup } = spawnNextStart("0.0.0.0", port, {});
  try {
    const deadline = Date.now() + 30_000;
    while (!output().includes(LISTENING_WARNING) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output()).toContain(
      `AUTH_MODE is none and the server listens on 0.0.0.0:${port}: anyone who can reach it can use it and read its history. Set AUTH_MODE (docs/deploy.md) before sharing it.`,
    );
  } finally {
    await stopProcess(child);
    cleanup();
  }
});
