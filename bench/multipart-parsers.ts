/**
 * formidable against busboy on the attack kit's multipart bodies: how long each blocks the
 * event loop and how much memory it keeps. Each case runs in its own process so that one
 * parser's garbage does not count against the other. Run: npx tsx bench/multipart-parsers.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import busboy from "busboy";
import formidable, { multipart } from "formidable";

const BOUNDARY = "bench-boundary";
const MB = 1024 * 1024;

const BODIES: Record<string, () => Buffer[]> = {
  /** One part header of 546 KB: a filename parameter repeated until formidable's regex backtracks. */
  hugeFilename: () => [
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="image"; ${'filename="x"y '.repeat(40_000)}\r\n\r\nabc\r\n--${BOUNDARY}--\r\n`,
    ),
  ],
  /** A part-header name that never ends: 64 MB of letters. */
  longHeaderName: () => [Buffer.from(`--${BOUNDARY}\r\n`), ...Array.from({ length: 64 }, () => Buffer.alloc(MB, "a"))],
};

async function parseWithFormidable(body: Readable, directory: string): Promise<string> {
  const form = formidable({ enabledPlugins: [multipart], uploadDir: directory, maxFiles: 1 });
  const request = Object.assign(body, {
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "transfer-encoding": "chunked" },
  });
  try {
    await form.parse(request as never);
    return "accepted";
  } catch (error) {
    return `refused: ${(error as Error).message.slice(0, 60)}`;
  }
}

function parseWithBusboy(body: Readable): Promise<string> {
  return new Promise((resolve) => {
    const parser = busboy({ headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` }, limits: { files: 1 } });
    parser.on("file", (_name, stream) => stream.resume());
    parser.on("error", (error) => {
      body.unpipe(parser);
      resolve(`refused: ${(error as Error).message.slice(0, 60)}`);
    });
    parser.on("close", () => resolve("accepted"));
    body.pipe(parser);
  });
}

async function runOne(parserName: string, bodyName: string) {
  const chunks = BODIES[bodyName]!();
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  // Cut into 64 KB pieces, as a socket delivers them.
  const pieces = chunks.flatMap((chunk) => Array.from({ length: Math.ceil(chunk.length / 65536) }, (_, i) => chunk.subarray(i * 65536, (i + 1) * 65536)));
  const directory = mkdtempSync(path.join(os.tmpdir(), "bench-multipart-"));
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  // The longest gap between two ticks of a 5 ms timer: how long everyone else would have waited.
  let lastTick = performance.now();
  let longestBlockMs = 0;
  const sampler = setInterval(() => {
    const now = performance.now();
    longestBlockMs = Math.max(longestBlockMs, now - lastTick);
    lastTick = now;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  const body = Readable.from(pieces, { objectMode: false });
  body.on("data", () => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)));
  const outcome = parserName === "formidable" ? await parseWithFormidable(body, directory) : await parseWithBusboy(body);
  const elapsed = performance.now() - started;
  clearInterval(sampler);
  longestBlockMs = Math.max(longestBlockMs, performance.now() - lastTick);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  rmSync(directory, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      parser: parserName,
      body: bodyName,
      bodyMB: +(bytes / MB).toFixed(2),
      ms: Math.round(elapsed),
      longestBlockMs: Math.round(longestBlockMs),
      rssGrowthMB: Math.round((rssPeak - rssBefore) / MB),
      outcome,
    }),
  );
}

const [parserName, bodyName] = process.argv.slice(2);
if (parserName && bodyName) {
  await runOne(parserName, bodyName);
} else {
  for (const body of Object.keys(BODIES)) {
    for (const parser of ["formidable", "busboy"]) {
      execFileSync(process.execPath, ["--import", "tsx", "--expose-gc", import.meta.filename, parser, body], { stdio: "inherit", timeout: 120_000 });
    }
  }
}
