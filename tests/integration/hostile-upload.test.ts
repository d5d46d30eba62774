import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import {
  HOSTILE_CONTENT_TYPE,
  hugeFilenameBody,
  imagePartOpening,
  longHeaderNameOpening,
  tinyImagePartsBody,
} from "@/tests/helpers/hostile-bodies";
import { diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { filesIn, probeHealth, residentBytes, type HealthProbe } from "@/tests/helpers/server-probe";

/**
 * The attack kit's requests against the production server: each gets a clear 4xx, the server
 * keeps answering everyone else meanwhile, and the upload directory ends empty.
 *
 * The latency bound: /api/health answers in milliseconds on an idle server, and the quadratic
 * parser this replaced blocked it for seconds. Half a second leaves room for a machine shared
 * with other work (a scheduler slice, a garbage collection) while still failing on any parse
 * that holds the event loop.
 */
const HEALTH_BOUND_MS = 500;
const MB = 1024 * 1024;
const MAX_UPLOAD_MB = 2;
const IDLE_TIMEOUT_SECONDS = 1;
/** The server's own uploads folder under TMPDIR: one per user (lib/upload/upload-directory.ts). */
const UPLOADS_FOLDER = `multimodal-reasoning-agent-uploads-${process.getuid?.() ?? os.userInfo().username}`;

let server: RunningServer;
let tempDir: string;
let uploadDir: string;
let probe: HealthProbe | undefined;

beforeAll(async () => {
  // The server's own temporary directory, so that anything a dependency writes there shows.
  tempDir = await mkdtemp(path.join(os.tmpdir(), "mra-hostile-"));
  // UPLOAD_DIR is unset: the default, a folder of its own in the temporary directory.
  uploadDir = path.join(tempDir, UPLOADS_FOLDER);
  // What a killed server left behind a day ago, for the sweep at start to find.
  await mkdir(uploadDir, { recursive: true });
  const leftOver = path.join(uploadDir, "mra-upload-left-by-a-killed-server");
  await writeFile(leftOver, "partial upload");
  const yesterday = new Date(Date.now() - 24 * 60 * 60_000);
  await utimes(leftOver, yesterday, yesterday);
  server = await startNextServer({
    TMPDIR: tempDir,
    MAX_UPLOAD_MB: String(MAX_UPLOAD_MB),
    UPLOAD_IDLE_TIMEOUT_SECONDS: String(IDLE_TIMEOUT_SECONDS),
    UPLOAD_TIMEOUT_SECONDS: "20",
  });
  // The route's code loads on its first request, which holds the event loop once: not what is measured.
  await rawPost([tinyImagePartsBody(1)]);
});

afterAll(async () => {
  await probe?.stop();
  await server?.stop();
  await rm(tempDir, { recursive: true, force: true });
});

afterEach(async () => {
  await expect.poll(() => filesIn(uploadDir).catch(() => []), { timeout: 5_000 }).toEqual([]);
});

async function underProbe<T>(attack: () => Promise<T>): Promise<{ result: T; worstMs: number }> {
  probe = probeHealth(server.url, { everyMs: 25, timeoutMs: 5_000 });
  try {
    const result = await attack();
    // One more round of probes after the answer: work left running after it would show here.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { worstMs, failures } = await probe.stop();
    expect(failures).toBe(0);
    return { result, worstMs };
  } finally {
    probe = undefined;
  }
}

interface Answer {
  status: number;
  body: { error?: { code: string; message: string } };
}

/**
 * A POST made by hand: `chunks` are written one by one, with back-pressure, until the server
 * answers; without `contentLength` the body is chunked. `stallAfter` stops sending after that
 * many chunks and keeps the connection open.
 */
function rawPost(chunks: Iterable<Buffer>, { contentLength, stallAfter }: { contentLength?: number; stallAfter?: number } = {}): Promise<Answer> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: hostname,
      port,
      path: "/api/analyze",
      method: "POST",
      headers: { "Content-Type": HOSTILE_CONTENT_TYPE, ...(contentLength === undefined ? {} : { "Content-Length": String(contentLength) }) },
    });
    let answered = false;
    request.on("response", (response) => {
      answered = true;
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (piece: string) => (text += piece));
      response.on("end", () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] });
      });
      response.on("error", reject);
    });
    // A server that stops reading a refused body may close the connection under the writes.
    request.on("error", (error) => {
      if (!answered) reject(error);
    });
    void (async () => {
      let sent = 0;
      for (const chunk of chunks) {
        if (answered || request.destroyed) return;
        if (stallAfter !== undefined && sent === stallAfter) return;
        if (!request.write(chunk)) await drainedOrClosed(request);
        sent++;
      }
      if (stallAfter === undefined && !answered && !request.destroyed) request.end();
    })();
  });
}

function drainedOrClosed(request: http.ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      request.off("drain", done).off("close", done);
      resolve();
    };
    request.on("drain", done).on("close", done);
  });
}

function* pieces(whole: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < whole.length; offset += size) yield whole.subarray(offset, offset + size);
}

function* repeated(chunk: Buffer, times: number): Generator<Buffer> {
  for (let index = 0; index < times; index++) yield chunk;
}

describe("hostile uploads against the production server", () => {
  it("has swept the upload a killed server left behind when it started", async () => {
    await expect.poll(() => filesIn(uploadDir), { timeout: 5_000 }).toEqual([]);
  });

  it("refuses a part header of 546 KB with 400 without holding up other requests", async () => {
    const body = hugeFilenameBody(40_000);
    const { result, worstMs } = await underProbe(() => rawPost(pieces(body), { contentLength: body.length }));
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code: "invalid_request", message: expect.stringContaining("header") });
    expect(worstMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it("refuses parallel bodies whose part-header name never ends, in bounded memory", async () => {
    // Enough bodies, each far past the header limit, that buffering them would show well above
    // the margin; few enough to leave the machine to others.
    const bodies = 4;
    const bytesEach = 32 * MB;
    const marginBytes = 64 * MB;
    const letters = Buffer.alloc(64 * 1024, "a");
    // A first refusal of the same kind, so that lazily allocated buffers are not counted.
    await rawPost([longHeaderNameOpening(), letters]);
    const before = residentBytes(server.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(server.pid))), 20);
    try {
      const { result, worstMs } = await underProbe(() =>
        Promise.all(
          Array.from({ length: bodies }, () =>
            rawPost([longHeaderNameOpening(), ...repeated(letters, bytesEach / letters.length)]).catch((error: unknown) => error),
          ),
        ),
      );
      for (const answer of result) {
        expect(answer).toMatchObject({ status: 400, body: { error: { code: "invalid_request" } } });
      }
      expect(worstMs).toBeLessThan(HEALTH_BOUND_MS);
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, residentBytes(server.pid));
    expect(peak - before).toBeLessThan(marginBytes);
  });

  it.each([3, 2_000])("refuses %i tiny files with 400 too_many_files and leaves none on disk", async (count) => {
    const body = tinyImagePartsBody(count);
    const { result, worstMs } = await underProbe(() => rawPost(pieces(body), { contentLength: body.length }));
    expect(result).toMatchObject({ status: 400, body: { error: { code: "too_many_files" } } });
    expect(worstMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it("refuses a chunked image over MAX_UPLOAD_MB with 413 and removes what was written", async () => {
    const chunks = [imagePartOpening(), ...repeated(Buffer.alloc(64 * 1024, 7), (2 * MAX_UPLOAD_MB * MB) / (64 * 1024))];
    const { result, worstMs } = await underProbe(() => rawPost(chunks));
    expect(result).toMatchObject({ status: 413, body: { error: { code: "file_too_large" } } });
    expect(worstMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it("refuses a chunked body over the total limit with 413 even when no part is over its own", async () => {
    // Before the first boundary: bytes that belong to no part, bounded only by the whole body's limit.
    const chunks = repeated(Buffer.alloc(64 * 1024, "p"), (3 * MAX_UPLOAD_MB * MB) / (64 * 1024));
    const { result, worstMs } = await underProbe(() => rawPost(chunks));
    expect(result).toMatchObject({ status: 413, body: { error: { code: "file_too_large" } } });
    expect(worstMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it("answers a stalled upload with 408 upload_timeout after the idle timeout, not Node's five minutes", async () => {
    const chunks = [imagePartOpening(), Buffer.alloc(64 * 1024, 7)];
    const started = performance.now();
    const { result, worstMs } = await underProbe(() => rawPost(chunks, { contentLength: 10 * chunks[0]!.length + MB, stallAfter: 2 }));
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ status: 408, body: { error: { code: "upload_timeout" } } });
    expect(elapsed).toBeGreaterThan(IDLE_TIMEOUT_SECONDS * 1000 * 0.9);
    expect(elapsed).toBeLessThan(IDLE_TIMEOUT_SECONDS * 1000 + 5_000);
    expect(worstMs).toBeLessThan(HEALTH_BOUND_MS);
  });

  it("leaves nothing of its own or of its dependencies in the temporary directory after an analysis", async () => {
    const form = new FormData();
    form.append("prompt", "Explain this architecture");
    form.append("image", new Blob([new Uint8Array(await diagramPng(800))]), "diagram.png");
    const response = await fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
    expect(response.status).toBe(200);
    for await (const event of readAnalyzeEvents(response.body!)) expect(event.event).not.toBe("error");
    expect(await readdir(tempDir)).toEqual([UPLOADS_FOLDER]);
  });
});
