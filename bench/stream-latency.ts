/**
 * The latency the server adds to each streamed piece of an answer: a model server in this process
 * writes an answer of 40 pieces, 50 ms apart, and for each piece the bench compares when it was
 * written with when the matching `delta` event of POST /api/analyze reached the bench's client,
 * through the production server (`npm run build:test` first). Both ends are in this process, so
 * both times come from the same clock (performance.now()).
 *
 * Baseline, in the same run: the same answer read straight from the model server by a plain fetch
 * streaming reader, parsed the same way (the latency with no app in between). App and direct
 * requests alternate, after one warm-up of each, so a busy machine weighs on both alike.
 *
 * The model server is the bench's own (tests/helpers/fake-model-server.ts does not say when it
 * wrote each event): it speaks Gemini's streamGenerateContent SSE exactly as the fake does, with
 * the chunks of fake-gemini's `textReply`, and notes the time of each write. Each piece's text
 * starts with its number, so a delta is matched to the piece it carries.
 *
 * Run with `npm run bench:stream`; the markdown goes to stdout and bench/results/stream-latency.md,
 * the figures to bench/results/summary.json.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { publishReport, recordSummary, machineLine, requireTestBuild } from "./fixtures";
import { median, percentile } from "./stats";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS_FILE = path.join(PROJECT_ROOT, "bench/results/stream-latency.md");
const PIECES = 40;
const PIECE_DELAY_MS = 50;
/** Measured requests of each kind, after one warm-up of each. */
const ROUNDS = 5;
/** The target for the median latency per chunk. */
const TARGET_MEDIAN_MS = 20;
const REQUEST_TIMEOUT_MS = 30_000;
const RUN_TIME_LIMIT_MS = 120_000;
const MODEL = "gemini-3-bench";
const GEMINI_PATH = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/;

/** One answer streamed by the model server: when each piece was written. */
interface StreamRecord {
  sentAt: number[];
}

/** One request's latency per piece, in piece order (undefined for a piece never received). */
type Latencies = Array<number | undefined>;

async function main() {
  requireTestBuild();
  const image = await diagramPng();
  const pieces = Array.from({ length: PIECES }, (_, index) => `[${index}] Piece ${index} of the answer, a sentence of ordinary length. `);
  const model = await startTimedGeminiServer(gemini.textReply(pieces, { delayMs: PIECE_DELAY_MS }));
  let server: RunningServer | undefined;
  const app: Latencies[] = [];
  const direct: Latencies[] = [];
  const deadline = Date.now() + RUN_TIME_LIMIT_MS;
  try {
    server = await startNextServer({ GEMINI_API_KEY: "bench-key", GEMINI_MODEL: MODEL, GEMINI_BASE_URL: model.url, MODEL_MAX_RETRIES: "0" });
    // Warm-ups, not counted: the route's first request loads its modules, and both clients connect.
    await throughApp(server.url, image, model);
    await straightFromModel(model);
    for (let round = 0; round < ROUNDS; round++) {
      if (Date.now() > deadline) throw new Error(`Stopped after ${round} rounds: the run passed its ${RUN_TIME_LIMIT_MS / 1000} s limit.`);
      app.push(await throughApp(server.url, image, model));
      direct.push(await straightFromModel(model));
    }
  } finally {
    await server?.stop();
    await model.close();
  }

  const appAll = received(app);
  const directAll = received(direct);
  const missing = app.flat().length - appAll.length + direct.flat().length - directAll.length;
  if (missing > 0) throw new Error(`${missing} pieces never arrived: the measurement is incomplete.`);
  const appFirst = received(app.map((latencies) => latencies.slice(0, 1)));
  const appLater = received(app.map((latencies) => latencies.slice(1)));
  const directFirst = received(direct.map((latencies) => latencies.slice(0, 1)));
  const directLater = received(direct.map((latencies) => latencies.slice(1)));
  const appMedian = median(appAll);
  const directMedian = median(directAll);
  const appP95 = percentile(appAll, 0.95);
  const directP95 = percentile(directAll, 0.95);

  const row = (label: string, through: number[], straight: number[]) =>
    `| ${label} | ${through.length} | ${ms(median(through))} | ${ms(percentile(through, 0.95))} | ${ms(Math.max(...through))} | ${ms(median(straight))} | ${ms(percentile(straight, 0.95))} | ${ms(median(through) - median(straight))} | ${ms(percentile(through, 0.95) - percentile(straight, 0.95))} |`;
  const perRequest = app.map((latencies, index) => {
    const through = received([latencies]);
    const straight = received([direct[index]!]);
    return `| ${index + 1} | ${ms(median(through))} | ${ms(percentile(through, 0.95))} | ${ms(median(straight))} | ${ms(percentile(straight, 0.95))} |`;
  });
  const met = appMedian <= TARGET_MEDIAN_MS;
  await publishReport(
    RESULTS_FILE,
    [
      "# Stream latency per chunk",
      "",
      `${machineLine()}. A model server in the bench process writes a ${PIECES}-piece answer (Gemini's streamGenerateContent SSE, fake-gemini's \`textReply\` chunks), ${PIECE_DELAY_MS} ms between pieces. ${ROUNDS} requests through the production server (POST /api/analyze with a ${(image.length / 1024).toFixed(0)} KiB diagram PNG) alternate with ${ROUNDS} plain fetch reads straight from the model server (the baseline), after one warm-up of each.`,
      "",
      "Latency of a piece: from the model server's write of its chunk to the bench's client reading the event that carries it (the `delta` through the app; the SSE event itself straight from the model server). Both sides use the same clock. \"Added\" is the app's figure minus the direct one.",
      "",
      "| pieces | samples | through the app, median ms | p95 ms | max ms | direct, median ms | direct p95 ms | added, median ms | added, p95 ms |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
      row("all", appAll, directAll),
      row("first piece", appFirst, directFirst),
      row(`pieces 2–${PIECES}`, appLater, directLater),
      "",
      `Ratio, median through the app ÷ median direct: ${(appMedian / directMedian).toFixed(1)}×. Target: median per chunk ≤ ${TARGET_MEDIAN_MS} ms (checked on the whole latency through the app, which bounds what it adds): ${met ? "met" : "not met"} (${ms(appMedian)} ms).`,
      "",
      "Each request on its own:",
      "",
      "| request | through the app, median ms | p95 ms | direct, median ms | direct p95 ms |",
      "| --- | --- | --- | --- | --- |",
      ...perRequest,
      "",
    ].join("\n"),
  );
  await recordSummary("stream-latency", {
    chunkLatencyMedian: {
      label: `latency per streamed chunk through POST /api/analyze, median of ${appAll.length}`,
      value: appMedian,
      unit: "ms",
      baseline: { label: "the same chunks read straight from the model server", value: directMedian },
      target: { max: TARGET_MEDIAN_MS, of: "value" },
    },
    chunkLatencyP95: {
      label: `latency per streamed chunk through POST /api/analyze, p95 of ${appAll.length}`,
      value: appP95,
      unit: "ms",
      baseline: { label: "the same chunks read straight from the model server", value: directP95 },
    },
    addedLatencyMedian: {
      label: "latency the server adds per chunk, median (through the app − direct)",
      value: appMedian - directMedian,
      unit: "ms",
      target: { max: TARGET_MEDIAN_MS, of: "value" },
    },
    addedLatencyP95: {
      label: "latency the server adds per chunk, p95 (through the app − direct)",
      value: appP95 - directP95,
      unit: "ms",
    },
  });
}

/**
 * A Gemini stand-in on 127.0.0.1 that streams `reply` to every streamGenerateContent request, as
 * tests/helpers/fake-model-server.ts does (`data: {json}\r\n\r\n`, a pause before each event but
 * the first), noting when each chunk was written. `next()` is the record of the next request.
 */
async function startTimedGeminiServer(reply: ReturnType<typeof gemini.textReply>) {
  let waiting: Array<(record: StreamRecord) => void> = [];
  const server = http.createServer((request, response) => {
    void (async () => {
      // The request is read in full first, as a real server does.
      request.resume();
      await once(request, "end");
      const url = new URL(request.url ?? "/", "http://model");
      if (request.method !== "POST" || !GEMINI_PATH.test(url.pathname) || url.searchParams.get("alt") !== "sse") {
        response.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { code: 404, message: "no such route" } }));
        return;
      }
      const record: StreamRecord = { sentAt: [] };
      const taker = waiting.shift();
      taker?.(record);
      let clientGone = false;
      response.on("close", () => (clientGone = !response.writableFinished));
      response.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
      response.flushHeaders();
      for (const [index, chunk] of reply.chunks.entries()) {
        if (index > 0 && reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
        if (clientGone) return;
        record.sentAt.push(performance.now());
        response.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      }
      response.end();
    })().catch(() => response.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** The record of the next stream to start: call before sending the request that starts it. */
    next: () => new Promise<StreamRecord>((resolve) => waiting.push(resolve)),
    close: async () => {
      waiting = [];
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

type TimedGeminiServer = Awaited<ReturnType<typeof startTimedGeminiServer>>;

/** One analysis through the production server: each piece's latency from its write to its delta. */
async function throughApp(url: string, image: Buffer, model: TimedGeminiServer): Promise<Latencies> {
  const stream = model.next();
  const form = new FormData();
  form.append("prompt", "Explain this architecture");
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  const response = await fetch(`${url}/api/analyze`, { method: "POST", body: form, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`POST /api/analyze answered ${response.status}: ${await response.text()}`);
  const receivedAt: Array<number | undefined> = [];
  let done = false;
  for await (const event of readAnalyzeEvents(response.body!)) {
    const now = performance.now();
    if (event.event === "delta") receivedAt[pieceIndex(event.data.text)] = now;
    if (event.event === "error") throw new Error(`The answer failed: ${JSON.stringify(event.data)}`);
    if (event.event === "done") done = true;
  }
  if (!done) throw new Error("The answer ended without `done`.");
  return latencies(await stream, receivedAt);
}

/** The same answer read straight from the model server by fetch, parsed as SSE the same way. */
async function straightFromModel(model: TimedGeminiServer): Promise<Latencies> {
  const stream = model.next();
  const response = await fetch(`${model.url}/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "Explain this architecture" }] }] }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`The model server answered ${response.status}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  const receivedAt: Array<number | undefined> = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const now = performance.now();
    const chunk = JSON.parse(value.data) as { candidates?: Array<{ content?: { parts?: Array<{ text?: string }> } }> };
    const text = chunk.candidates?.[0]?.content?.parts?.[0]?.text;
    if (text) receivedAt[pieceIndex(text)] = now;
  }
  return latencies(await stream, receivedAt);
}

function pieceIndex(text: string): number {
  const match = /^\[(\d+)\]/.exec(text);
  if (!match) throw new Error(`A delta that is not one whole piece: ${JSON.stringify(text)}`);
  return Number(match[1]);
}

function latencies(record: StreamRecord, receivedAt: Array<number | undefined>): Latencies {
  // The last chunk (finish reason and usage, no text) is no piece.
  return Array.from({ length: PIECES }, (_, index) => {
    const at = receivedAt[index];
    const sent = record.sentAt[index];
    return at === undefined || sent === undefined ? undefined : at - sent;
  });
}

function received(requests: Latencies[]): number[] {
  return requests.flat().filter((value): value is number => value !== undefined);
}

/** Nearest rank, as bench/load.ts. */


function ms(value: number): string {
  return value.toFixed(1);
}

await main();
