import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALLOCATOR_ENVIRONMENT } from "@/lib/ops/native-memory";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import { largeDiagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { residentBytes } from "@/tests/helpers/server-probe";

/**
 * After a burst of analyses of large images, the server's resident memory must come back near
 * where it was once warm: memory that stays high after every attack is memory the next one
 * stacks on. The offline provider exercises everything heavy (upload, decoding, OCR) with no
 * model server; each image differs, so no cache hides the work.
 *
 * What kept it high: ONNX Runtime's memory arena (lib/offline/ocr/paddle-ocr.ts) and glibc's
 * per-thread arenas and rising mmap threshold (the allocator settings of `npm run serve`, see
 * lib/server/native-memory.ts). Either alone leaves much of the burst resident.
 */

/** How far above the warm baseline resident memory may settle once the burst is over. */
const MARGIN_BYTES = 150 * 1024 * 1024;
const BURST_SIZE = 6;
const PARALLEL = 3;
const MIB = 1024 * 1024;

let server: RunningServer;
let uploadDir: string;

beforeAll(async () => {
  uploadDir = await mkdtemp(path.join(os.tmpdir(), "mra-memory-"));
  server = await startNextServer({ UPLOAD_DIR: uploadDir, ...serveEnvironment() });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(uploadDir, { recursive: true, force: true });
});

/**
 * The environment `npm run serve` sets before `next start` (the allocator settings): the server
 * under test must run as it is deployed. Read from package.json, so dropping them there fails here.
 */
function serveEnvironment(): Record<string, string> {
  const { scripts } = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const assignments = /^((?:[A-Z_][A-Z0-9_]*=\S+\s+)*)next start/.exec(scripts.serve ?? "")?.[1] ?? "";
  return Object.fromEntries(assignments.trim().split(/\s+/).filter(Boolean).map((pair) => pair.split("=") as [string, string]));
}

async function analyze(image: Buffer): Promise<void> {
  const form = new FormData();
  form.append("prompt", "Explain this architecture");
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  const response = await fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
  expect(response.status).toBe(200);
  let last: string | undefined;
  for await (const event of readAnalyzeEvents(response.body!)) last = event.event;
  expect(last).toBe("done");
}

/** Resident memory once it has stopped falling: the lowest of a few readings a moment apart. */
async function settledResidentBytes(): Promise<number> {
  let lowest = Infinity;
  for (let reading = 0; reading < 6; reading++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    lowest = Math.min(lowest, residentBytes(server.pid));
  }
  return lowest;
}

describe("resident memory after a burst of large analyses", () => {
  it("runs the server as `npm run serve` does, with the allocator settings", () => {
    expect(serveEnvironment()).toEqual(ALLOCATOR_ENVIRONMENT);
  });

  it(`settles within ${MARGIN_BYTES / MIB} MiB of the warm baseline`, async () => {
    // Warm: the OCR models loaded, the image pipeline and the JIT run once.
    await analyze(await largeDiagramPng(6000, 4000));
    const baseline = await settledResidentBytes();

    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(server.pid))), 100);
    try {
      for (let start = 0; start < BURST_SIZE; start += PARALLEL) {
        const images = await Promise.all(
          Array.from({ length: PARALLEL }, (_, index) => largeDiagramPng(6000 - 40 * (start + index + 1), 4000)),
        );
        await Promise.all(images.map(analyze));
      }
    } finally {
      clearInterval(sampler);
    }
    const after = await settledResidentBytes();
    console.info(
      `memory: warm baseline ${(baseline / MIB).toFixed(0)} MiB, burst peak ${(peak / MIB).toFixed(0)} MiB, settled ${(after / MIB).toFixed(0)} MiB`,
    );
    expect(after - baseline).toBeLessThan(MARGIN_BYTES);
  }, 240_000);
});
