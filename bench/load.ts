/**
 * A bounded load test: concurrent analyses of a 10 MB PNG against the production server
 * (`npm run build:test` first), answered by the fake Gemini server. At 1, 4, 16 and 64 clients it
 * reports throughput, time to first token (p50, p95), refusals (503 with Retry-After), the
 * slowest /api/health answer and the server's peak resident memory. Each level is bounded in
 * requests and in time. Run with `npm run load`; the markdown goes to stdout and to
 * bench/results/load.md.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer } from "@/tests/helpers/fake-model-server";
import { startNextServer } from "@/tests/helpers/next-server";
import { residentBytes } from "@/tests/helpers/server-probe";
import { publishReport, recordSummary, type Figure, machineLine, requireTestBuild, uncompressedPhotoPng } from "./fixtures";
import { percentile } from "./stats";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS_FILE = path.join(PROJECT_ROOT, "bench/results/load.md");
const LEVELS = [1, 4, 16, 64];
/** Requests per level: enough for a p95 at the low levels, a full round of clients at the high ones. */
const requestsAt = (clients: number) => Math.max(12, clients * 2);
const LEVEL_TIME_LIMIT_MS = 120_000;
/**
 * The ceiling the server's resident memory must stay under at every level: the default limits
 * let two preparations run at once and queue the rest on disk, so memory must not follow the
 * number of clients.
 */
const MEMORY_CEILING_MIB = 1024;
/** The fake answer: pieces with a pause between them, like a model writing. */
const ANSWER_PIECES = 20;
const PIECE_DELAY_MS = 25;

interface LevelResult {
  clients: number;
  requests: number;
  completed: number;
  refused: number;
  failed: number;
  seconds: number;
  ttftMs: number[];
  peakRssBytes: number;
  worstHealthMs: number;
}

async function main() {
  requireTestBuild();
  const image = await uncompressedPhotoPng(IMAGE_WIDTH, IMAGE_HEIGHT);
  const fake = await startFakeModelServer();
  fake.reply(gemini.textReply(Array.from({ length: ANSWER_PIECES }, (_, index) => `Piece ${index} of the answer. `), { delayMs: PIECE_DELAY_MS }));
  const server = await startNextServer({ GEMINI_API_KEY: "load-key", GEMINI_MODEL: "gemini-3-load", GEMINI_BASE_URL: fake.url, MODEL_MAX_RETRIES: "0" });
  const results: LevelResult[] = [];
  const baselineRss = residentBytes(server.pid);
  try {
    for (const clients of LEVELS) results.push(await runLevel(server.url, server.pid, image, clients));
  } finally {
    await server.stop();
    await fake.close();
  }
  const rows = results.map((result) => {
    const sorted = [...result.ttftMs].sort((a, b) => a - b);
    return `| ${result.clients} | ${result.requests} | ${result.completed} | ${result.refused} | ${result.failed} | ${(result.completed / result.seconds).toFixed(2)} | ${fmt(percentile(sorted, 0.5))} | ${fmt(percentile(sorted, 0.95))} | ${result.worstHealthMs.toFixed(0)} | ${(result.peakRssBytes / 2 ** 20).toFixed(0)} |`;
  });
  await publishReport(
    RESULTS_FILE,
    [
      "# Load",
      "",
      `${machineLine()}. Each request uploads a ${(image.length / 2 ** 20).toFixed(1)} MiB PNG (${IMAGE_WIDTH}×${IMAGE_HEIGHT}, photo-like pixels stored uncompressed) and reads a ${ANSWER_PIECES}-piece answer from the fake Gemini server (${PIECE_DELAY_MS} ms between pieces). Default limits (PREPARE_CONCURRENCY 2, PREPARE_QUEUE 16). The server's resident memory before the first level: ${(baselineRss / 2 ** 20).toFixed(0)} MiB; the ceiling it must stay under at every level: ${MEMORY_CEILING_MIB} MiB.`,
      "",
      "Time to first token: from sending the request to the first word of the answer (upload, preparation and the queue's wait included). The slowest /api/health answer is measured from a process of its own, every 200 ms; the load generator shares the machine's two cores with the server.",
      "",
      "| clients | requests | answered | refused (503) | failed | answers/s | TTFT p50 ms | TTFT p95 ms | slowest /api/health ms | peak RSS MiB |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
    ].join("\n"),
  );
  const figures: Record<string, Figure> = {};
  for (const result of results) {
    const sorted = [...result.ttftMs].sort((a, b) => a - b);
    const at = `at ${result.clients} client${result.clients === 1 ? "" : "s"}`;
    figures[`ttftP95At${result.clients}`] = { label: `time to first token p95 ${at} (10 MB PNG)`, value: percentile(sorted, 0.95), unit: "ms" };
    figures[`refusedAt${result.clients}`] = { label: `requests refused with 503 ${at}, of ${result.requests}`, value: result.refused, unit: "count" };
    figures[`failedAt${result.clients}`] = { label: `requests failed ${at}`, value: result.failed, unit: "count", target: { max: 0, of: "value" } };
    figures[`peakRssAt${result.clients}`] = { label: `server peak RSS ${at}`, value: result.peakRssBytes / 2 ** 20, unit: "MiB", target: { max: MEMORY_CEILING_MIB, of: "value" } };
  }
  await recordSummary("load", figures);
}

const IMAGE_WIDTH = 2100;
const IMAGE_HEIGHT = 1600;


async function runLevel(url: string, pid: number, image: Buffer, clients: number): Promise<LevelResult> {
  const result: LevelResult = { clients, requests: requestsAt(clients), completed: 0, refused: 0, failed: 0, seconds: 0, ttftMs: [], peakRssBytes: 0, worstHealthMs: 0 };
  let started = 0;
  const deadline = Date.now() + LEVEL_TIME_LIMIT_MS;
  const sampler = setInterval(() => (result.peakRssBytes = Math.max(result.peakRssBytes, residentBytes(pid))), 100);
  const health = probeHealthApart(url);
  const begin = performance.now();
  const client = async () => {
    while (started < result.requests && Date.now() < deadline) {
      started++;
      await oneRequest(url, image, result);
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  result.seconds = (performance.now() - begin) / 1000;
  clearInterval(sampler);
  result.worstHealthMs = await health.stop();
  result.requests = started;
  return result;
}

async function oneRequest(url: string, image: Buffer, result: LevelResult) {
  const form = new FormData();
  form.append("prompt", "Explain this architecture");
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "load.png");
  const sent = performance.now();
  try {
    const response = await fetch(`${url}/api/analyze`, { method: "POST", body: form });
    if (response.status === 503) {
      result.refused++;
      await response.arrayBuffer();
      // A refused client waits as told before its next request, as the page does.
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get("retry-after") ?? 1) * 1000));
      return;
    }
    if (!response.ok) {
      result.failed++;
      await response.arrayBuffer();
      return;
    }
    let first: number | undefined;
    let done = false;
    for await (const event of readAnalyzeEvents(response.body!)) {
      if (event.event === "delta") first ??= performance.now() - sent;
      if (event.event === "done") done = true;
    }
    if (done && first !== undefined) {
      result.completed++;
      result.ttftMs.push(first);
    } else result.failed++;
  } catch {
    result.failed++;
  }
}

/**
 * Asks /api/health every 200 ms from a process of its own: in this one, the load generator's own
 * work (64 clients' uploads) would delay the probe and be counted as the server's.
 */
function probeHealthApart(url: string): { stop(): Promise<number> } {
  const script = `
let worst = 0;
let stopped = false;
process.stdin.on("data", () => (stopped = true));
(async () => {
  while (!stopped) {
    const started = performance.now();
    try { await (await fetch(process.argv[1] + "/api/health", { signal: AbortSignal.timeout(10000) })).arrayBuffer(); } catch { worst = Math.max(worst, 10000); }
    worst = Math.max(worst, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  process.stdout.write(String(worst), () => process.exit(0));
})();`;
  const child = spawn(process.execPath, ["-e", script, url], { stdio: ["pipe", "pipe", "inherit"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return {
    async stop() {
      child.stdin.end("stop\n");
      await once(child, "exit");
      return Number(output);
    },
  };
}


function fmt(value: number): string {
  return Number.isNaN(value) ? "—" : value.toFixed(0);
}

await main();
