/**
 * Time to first token for a 10 MB PNG through POST /api/analyze on the production server
 * (`npm run build:test` first), split into the phases the server's own request log line records:
 * receiving the upload, preparing the image (its wait for a place included), and waiting for the
 * model's first token. Beside them, the client's whole wait, from sending the request to reading
 * the first `delta`. The fake Gemini server answers at once, so the model's own part is nearly
 * nothing. One request at a time, after one warm-up; median and max of each phase.
 *
 * Baseline, in the same run: the same 10 MB multipart body POSTed to a trivial Node server in the
 * bench process that only drains the body and replies (the bare cost of moving the bytes), timed
 * on its side from the request's headers to the body's end, as the server's upload phase is, and
 * on the client's side from sending to the reply.
 *
 * Run with `npm run bench:first-token`; the markdown goes to stdout and
 * bench/results/first-token.md, the figures to bench/results/summary.json.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import { analyzeLogLines, startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { publishReport, recordSummary, machineLine, requireTestBuild, uncompressedPhotoPng } from "./fixtures";
import { median } from "./stats";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const RESULTS_FILE = path.join(PROJECT_ROOT, "bench/results/first-token.md");
/** Measured requests of each kind, one at a time, after one warm-up of each. */
const RUNS = 7;
const IMAGE_WIDTH = 2100;
const IMAGE_HEIGHT = 1600;
const REQUEST_TIMEOUT_MS = 60_000;
const RUN_TIME_LIMIT_MS = 180_000;
/** How long the server's log line may take to reach the bench after the answer's end. */
const LOG_LINE_WAIT_MS = 5_000;

/** One request through the app: the server's phases and the client's own times. */
interface AppRun {
  uploadMs: number;
  prepareMs: number;
  firstTokenMs: number;
  /** From sending the request to the response's headers, then to the first delta. */
  clientHeadersMs: number;
  clientFirstTokenMs: number;
  /** What the server made of the upload, as its log line says: "WxH mime bytesB". */
  prepared: string;
}

interface BareRun {
  /** The bare server's side: from the request's headers to the body's end. */
  drainMs: number;
  /** The client's side: from sending the request to the reply read. */
  clientMs: number;
}

async function main() {
  requireTestBuild();
  const image = await uncompressedPhotoPng(IMAGE_WIDTH, IMAGE_HEIGHT);
  let fake: FakeModelServer | undefined;
  let server: RunningServer | undefined;
  const bare = await startBareServer();
  const appRuns: AppRun[] = [];
  const bareRuns: BareRun[] = [];
  const deadline = Date.now() + RUN_TIME_LIMIT_MS;
  try {
    fake = await startFakeModelServer();
    // No delay: the model's first token is there as soon as it is asked.
    fake.reply(gemini.textReply(["The first words of the answer. ", "The rest of it."]));
    server = await startNextServer({ GEMINI_API_KEY: "bench-key", GEMINI_MODEL: "gemini-3-bench", GEMINI_BASE_URL: fake.url, MODEL_MAX_RETRIES: "0" });
    // Warm-ups, not counted: the route's first request loads its modules and sharp.
    await throughApp(server, image);
    await toBareServer(bare, image);
    for (let run = 0; run < RUNS; run++) {
      if (Date.now() > deadline) throw new Error(`Stopped after ${run} runs: the run passed its ${RUN_TIME_LIMIT_MS / 1000} s limit.`);
      appRuns.push(await throughApp(server, image));
      bareRuns.push(await toBareServer(bare, image));
    }
  } finally {
    await server?.stop();
    await fake?.close();
    await bare.close();
  }

  const of = (pick: (run: AppRun) => number) => appRuns.map(pick);
  const upload = of((run) => run.uploadMs);
  const prepare = of((run) => run.prepareMs);
  const firstToken = of((run) => run.firstTokenMs);
  const clientTotal = of((run) => run.clientFirstTokenMs);
  const outside = of((run) => run.clientFirstTokenMs - run.uploadMs - run.prepareMs - run.firstTokenMs);
  const drain = bareRuns.map((run) => run.drainMs);
  const bareClient = bareRuns.map((run) => run.clientMs);
  const row = (label: string, values: number[]) => `| ${label} | ${ms(median(values))} | ${ms(Math.max(...values))} |`;
  const perRun = appRuns.map(
    (run, index) =>
      `| ${index + 1} | ${ms(run.uploadMs)} | ${ms(run.prepareMs)} | ${ms(run.firstTokenMs)} | ${ms(run.clientHeadersMs)} | ${ms(run.clientFirstTokenMs)} | ${ms(bareRuns[index]!.drainMs)} | ${ms(bareRuns[index]!.clientMs)} |`,
  );
  const uploadRatio = median(upload) / median(drain);
  await publishReport(
    RESULTS_FILE,
    [
      "# Time to first token, 10 MB PNG",
      "",
      `${machineLine()}. Each request uploads a ${(image.length / 1e6).toFixed(1)} MB PNG (${IMAGE_WIDTH}×${IMAGE_HEIGHT}, photo-like pixels stored uncompressed) to POST /api/analyze on the production server; the fake Gemini server answers at once. ${RUNS} requests, one at a time, each followed by the same body sent to the bare server (the baseline), after one warm-up of each.`,
      "",
      "The phases are the server's own, from its request log line (`phases`): upload (from the handler's start to the multipart body parsed and stored), preparation (the image decoded, checked and re-encoded, its wait for a place included), first token (from calling the model to its first event). \"Outside the phases\" is the client's wait less the three: the request reaching the handler, the response's start and the first event's way back.",
      "",
      "| phase | median ms | max ms |",
      "| --- | --- | --- |",
      row("upload (server)", upload),
      row("preparation (server)", prepare),
      row("waiting for the first token (server)", firstToken),
      row("outside the phases", outside),
      row("**client: sending to first delta**", clientTotal),
      row("baseline: bare server draining the body", drain),
      row("baseline: client, sending to the bare server's reply", bareClient),
      "",
      `Prepared image sent to the model, as the server logged it: ${[...new Set(appRuns.map((run) => run.prepared))].join(", ")}.`,
      "",
      `Upload ÷ bare drain (medians): ${uploadRatio.toFixed(2)}×. The bare server shares the bench's process with the client that sends to it; the app's server has its own.`,
      "",
      "Each run:",
      "",
      "| run | upload ms | preparation ms | first token ms | client: headers ms | client: first delta ms | bare drain ms | bare client ms |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...perRun,
      "",
    ].join("\n"),
  );
  await recordSummary("first-token", {
    clientFirstToken: {
      label: "time to first token, 10 MB PNG, client side, median",
      value: median(clientTotal),
      unit: "ms",
      baseline: { label: "the same body to a bare server that drains it, client side", value: median(bareClient) },
    },
    upload: {
      label: "upload phase (server log), 10 MB PNG, median",
      value: median(upload),
      unit: "ms",
      baseline: { label: "a bare Node server draining the same body", value: median(drain) },
    },
    prepare: { label: "preparation phase (server log), 10 MB PNG, median", value: median(prepare), unit: "ms" },
    firstTokenWait: { label: "waiting for the fake model's first token (server log), median", value: median(firstToken), unit: "ms" },
    outsidePhases: { label: "client's wait outside the server's phases, median", value: median(outside), unit: "ms" },
  });
}


function analyzeForm(image: Buffer): FormData {
  const form = new FormData();
  form.append("prompt", "Explain this architecture");
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "large.png");
  return form;
}

async function throughApp(server: RunningServer, image: Buffer): Promise<AppRun> {
  const form = analyzeForm(image);
  const sent = performance.now();
  const response = await fetch(`${server.url}/api/analyze`, { method: "POST", body: form, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const clientHeadersMs = performance.now() - sent;
  if (!response.ok) throw new Error(`POST /api/analyze answered ${response.status}: ${await response.text()}`);
  const requestId = response.headers.get("x-request-id");
  let clientFirstTokenMs: number | undefined;
  let done = false;
  for await (const event of readAnalyzeEvents(response.body!)) {
    if (event.event === "delta") clientFirstTokenMs ??= performance.now() - sent;
    if (event.event === "error") throw new Error(`The answer failed: ${JSON.stringify(event.data)}`);
    if (event.event === "done") done = true;
  }
  if (!done || clientFirstTokenMs === undefined) throw new Error("The answer ended without a delta and `done`.");
  const line = await logLineOf(server, requestId);
  const phases = line.phases as Record<string, number | undefined> | undefined;
  const { uploadMs, prepareMs, firstTokenMs } = phases ?? {};
  if (uploadMs === undefined || prepareMs === undefined || firstTokenMs === undefined) {
    throw new Error(`The log line has not every phase: ${JSON.stringify(line)}`);
  }
  return { uploadMs, prepareMs, firstTokenMs, clientHeadersMs, clientFirstTokenMs, prepared: String(line.image) };
}

/** The request's log line, written when its answer ends; it may reach the bench a moment later. */
async function logLineOf(server: RunningServer, requestId: string | null): Promise<Record<string, unknown>> {
  const until = Date.now() + LOG_LINE_WAIT_MS;
  for (;;) {
    const line = analyzeLogLines(server.output()).find((candidate) => candidate.requestId === requestId);
    if (line) return line;
    if (Date.now() > until) throw new Error(`No log line for request ${requestId} within ${LOG_LINE_WAIT_MS / 1000} s:\n${server.output().slice(-2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A Node server on 127.0.0.1 that drains each request's body and replies 200, timing the drain. */
async function startBareServer() {
  const drains: number[] = [];
  const server = http.createServer((request, response) => {
    const started = performance.now();
    request.resume();
    request.on("end", () => {
      drains.push(performance.now() - started);
      response.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** How long the last request's body took to drain. */
    lastDrainMs: () => drains.at(-1),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}

type BareServer = Awaited<ReturnType<typeof startBareServer>>;

async function toBareServer(bare: BareServer, image: Buffer): Promise<BareRun> {
  const form = analyzeForm(image);
  const sent = performance.now();
  const response = await fetch(`${bare.url}/upload`, { method: "POST", body: form, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  await response.text();
  const clientMs = performance.now() - sent;
  const drainMs = bare.lastDrainMs();
  if (!response.ok || drainMs === undefined) throw new Error(`The bare server answered ${response.status}`);
  return { drainMs, clientMs };
}


function ms(value: number): string {
  return value.toFixed(0);
}

await main();
