/**
 * How long the offline analyzer takes per diagram on this machine: the engine's cold start once,
 * then the warm time per synthetic 1600 px diagram (median of 7 after a warm-up run, the diagrams taken in turn), measured on
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
const RUNS = 7;

async function main() {
  const fixtures = (await loadFixtures().catch(() => [])).filter((fixture) => fixture.group === "synthetic 1600 px");
  if (!fixtures.length) {
    console.error("No fixtures at ../shared/fixtures/diagrams: skipping the offline latency benchmark.");
    return;
  }
  const loadStarted = performance.now();
  const ocr = await createPaddleOcr();
  const coldMs = performance.now() - loadStarted;
  const images = await Promise.all(fixtures.map((fixture) => prepareImage(fixture.file, { maxPixels: 100_000_000, maxEdge: 3072 })));
  for (const image of images) await analyzeImage(ocr, image.data);
  // Round after round over all the diagrams, not one diagram's runs in a row: on a shared
  // machine a slow spell then slows a run of each diagram instead of every run of one.
  const times: number[][] = fixtures.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (const [index, image] of images.entries()) {
      const started = performance.now();
      await analyzeImage(ocr, image.data);
      times[index]!.push(performance.now() - started);
    }
  }
  const rows = fixtures.map((fixture, index) => {
    const sorted = times[index]!.sort((a, b) => a - b);
    const median = sorted[Math.floor(RUNS / 2)]!;
    process.stderr.write(`${fixture.name}: ${median.toFixed(0)} ms\n`);
    return `| ${fixture.name} | ${median.toFixed(0)} | ${sorted.at(-1)!.toFixed(0)} |`;
  });
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
