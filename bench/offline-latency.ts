/**
 * How long the offline analyzer takes per diagram on this machine: the engine's cold start once,
 * then the warm time per synthetic 1600 px diagram (median of 5 after a warm-up run), measured on
 * the analysis the worker thread runs (OCR, step digits, layout, catalogue). Part of `npm run bench`;
 * writes bench/results/offline-latency.md.
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prepareImage } from "@/lib/image/prepare-image";
import { analyzeImage } from "@/lib/offline/analyze-image";
import { createPaddleOcr } from "@/lib/offline/ocr/paddle-ocr";
import { loadFixtures, publishReport } from "./fixtures";

const RESULTS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "results/offline-latency.md");
const RUNS = 5;

async function main() {
  const fixtures = (await loadFixtures().catch(() => [])).filter((fixture) => fixture.group === "synthetic 1600 px");
  if (!fixtures.length) {
    console.error("No fixtures at ../shared/fixtures/diagrams: skipping the offline latency benchmark.");
    return;
  }
  const loadStarted = performance.now();
  const ocr = await createPaddleOcr();
  const coldMs = performance.now() - loadStarted;
  const rows: string[] = [];
  for (const fixture of fixtures) {
    const image = await prepareImage(fixture.file, { maxPixels: 100_000_000, maxEdge: 3072 });
    await analyzeImage(ocr, image.data);
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      await analyzeImage(ocr, image.data);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(RUNS / 2)]!;
    rows.push(`| ${fixture.name} | ${median.toFixed(0)} | ${times.at(-1)!.toFixed(0)} |`);
    process.stderr.write(`${fixture.name}: ${median.toFixed(0)} ms\n`);
  }
  await ocr.close();
  const report = [
    "# Offline analyzer latency",
    "",
    `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}. Engine cold start: ${coldMs.toFixed(0)} ms. Peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB.`,
    "",
    "| diagram | warm median ms | warm max ms |",
    "| --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  await publishReport(RESULTS_FILE, report);
}

await main();
