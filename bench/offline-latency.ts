/**
 * How long the offline analyzer takes per diagram on this machine: the engine's cold start once,
 * then the warm time per synthetic 1600 px diagram (median of 7 after a warm-up run), measured on
 * the analysis the worker thread runs (OCR, step digits, layout, catalogue). The recogniser runs
 * int8, as the server runs it, and float beside it for comparison. Part of `npm run bench`;
 * writes bench/results/offline-latency.md.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prepareImage } from "@/lib/image/prepare-image";
import { analyzeImage } from "@/lib/offline/analyze-image";
import { createPaddleOcr, type OcrEngine } from "@/lib/offline/ocr/paddle-ocr";
import { loadFixtures, publishReport, recordSummary, machineLine } from "./fixtures";
import { median } from "./stats";

const RESULTS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "results/offline-latency.md");
const RUNS = 7;

async function main() {
  const fixtures = (await loadFixtures().catch(() => [])).filter((fixture) => fixture.group === "synthetic 1600 px");
  if (!fixtures.length) {
    console.error("No fixtures at ../shared/fixtures/diagrams: skipping the offline latency benchmark.");
    return;
  }
  const loadStarted = performance.now();
  const int8 = await createPaddleOcr();
  const coldMs = performance.now() - loadStarted;
  const images = await Promise.all(fixtures.map((fixture) => prepareImage(fixture.file, { maxPixels: 100_000_000, maxEdge: 3072 })));
  for (const image of images) await analyzeImage(int8, image.data);
  // What the server's analysis thread needs, before the float engine joins for comparison.
  const peakMegabytes = process.resourceUsage().maxRSS / 1024;
  const float = await createPaddleOcr({ precision: "float" });
  const engines = [int8, float];
  for (const image of images) await analyzeImage(float, image.data);
  // Round after round over all the diagrams, not one diagram's runs in a row, and the two
  // recognisers in turn, each first in every other round: on a shared machine a slow spell
  // then slows a run of each instead of every run of one.
  const times = new Map<OcrEngine, number[][]>(engines.map((engine) => [engine, fixtures.map(() => [])]));
  for (let run = 0; run < RUNS; run++) {
    for (const [index, image] of images.entries()) {
      for (const engine of run % 2 ? [...engines].reverse() : engines) {
        const started = performance.now();
        await analyzeImage(engine, image.data);
        times.get(engine)![index]!.push(performance.now() - started);
      }
    }
  }
  await Promise.all(engines.map((engine) => engine.close()));
  const rows = fixtures.map((fixture, index) => {
    const [fast, slow] = [times.get(int8)![index]!, times.get(float)![index]!];
    process.stderr.write(`${fixture.name}: ${median(fast).toFixed(0)} ms (float ${median(slow).toFixed(0)} ms)\n`);
    // `|| 0`: a saving that rounds to nothing is 0 %, not −0 %.
    const saved = Math.round((1 - median(fast) / median(slow)) * 100) || 0;
    return `| ${fixture.name} | ${median(fast).toFixed(0)} | ${Math.max(...fast).toFixed(0)} | ${median(slow).toFixed(0)} | ${saved} % |`;
  });
  const report = [
    "# Offline analyzer latency",
    "",
    `${machineLine()}. Recogniser: ${int8.recognition}. Engine cold start: ${coldMs.toFixed(0)} ms. Peak RSS with that engine alone, after one analysis of each diagram: ${peakMegabytes.toFixed(0)} MB.`,
    "",
    "| diagram | warm median ms | warm max ms | float recogniser, median ms | int8 saves |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  await publishReport(RESULTS_FILE, report);
  const warm = fixtures.map((_, index) => median(times.get(int8)![index]!));
  await recordSummary("offline-latency", {
    coldStart: { label: "offline engine cold start", value: coldMs, unit: "ms" },
    warmMedian: {
      label: "warm analysis of a 1600 px diagram, median over the diagrams' medians",
      value: median(warm),
      unit: "ms",
      baseline: { label: "the same with the float recogniser", value: median(fixtures.map((_, index) => median(times.get(float)![index]!))) },
    },
    warmWorstMedian: { label: "warm analysis, the slowest diagram's median", value: Math.max(...warm), unit: "ms" },
    peakRss: { label: "peak RSS with the int8 engine, after one analysis of each diagram", value: peakMegabytes / 1.048576, unit: "MiB" },
  });
}

await main();
