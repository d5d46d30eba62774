/**
 * How long the server spends preparing an upload (content check, full decode, rotate, resize,
 * encode), per kind of image, on this machine. Run with `npm run bench`; the markdown goes to
 * stdout and to bench/results/prepare-image.md.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { formatBytes } from "@/lib/shared/format";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import { publishReport, recordSummary, machineLine } from "./fixtures";
import { median } from "./stats";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURES = path.resolve(PROJECT_ROOT, "../shared/fixtures/diagrams/real");
const RESULTS_FILE = path.join(PROJECT_ROOT, "bench/results/prepare-image.md");
const RUNS = 5;
const LIMITS = { maxPixels: 100_000_000, maxEdge: 3072 };

interface Input {
  name: string;
  file: string;
}

async function main() {
  const scratch = await mkdtemp(path.join(os.tmpdir(), "mra-bench-"));
  try {
    const inputs = [...(await fixtureInputs()), ...(await syntheticInputs(scratch))];
    const rows: string[] = [];
    let poster: { ms: number; bareMs: number } | undefined;
    for (const input of inputs) {
      const times: number[] = [];
      const bareTimes: number[] = [];
      let result: PreparedImage | undefined;
      // Alternated run by run, so that the machine's noise falls on both alike.
      for (let run = 0; run < RUNS; run++) {
        let started = performance.now();
        result = await prepareImage(input.file, LIMITS);
        times.push(performance.now() - started);
        started = performance.now();
        await bareResize(input.file, result.mimeType);
        bareTimes.push(performance.now() - started);
      }
      if (input.name === POSTER) poster = { ms: median(times), bareMs: median(bareTimes) };
      const { size } = await stat(input.file);
      const source = result!.source;
      const growth = memoryGrowth(input.file);
      rows.push(
        `| ${input.name} | ${source.width}×${source.height} ${formatBytes(size)} | ${result!.width}×${result!.height} ${result!.mimeType} ${formatBytes(result!.bytes)} | ${median(times).toFixed(0)} | ${Math.max(...times).toFixed(0)} | ${median(bareTimes).toFixed(0)} | ${(median(times) / median(bareTimes)).toFixed(2)}× | ${(growth / 2 ** 20).toFixed(0)} |`,
      );
      process.stderr.write(`${input.name}: ${median(times).toFixed(0)} ms\n`);
    }
    const report = [
      "# Image preparation time",
      "",
      `${machineLine()}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}. ${RUNS} runs each, limits ${LIMITS.maxEdge} px long edge and ${LIMITS.maxPixels.toLocaleString("en")} pixels. Memory: the rise of resident memory while one preparation runs in a fresh process (bench/prepare-memory.ts). Bare resize: the same file scaled to the same size and encoded in the same format by sharp alone (no content check, full decode, rotation, flattening or choice of format), timed in the same runs; the target for the 8000×6000 PNG is at most 1.3×.`,
      "",
      "| input | uploaded | sent to the model | median ms | max ms | bare resize median ms | ratio | memory rise MiB |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
      ...rows,
      "",
    ].join("\n");
    await publishReport(RESULTS_FILE, report);
    if (poster) {
      await recordSummary("prepare-image", {
        poster8000x6000: {
          label: "preparation of an 8000×6000 PNG, median",
          value: poster.ms,
          unit: "ms",
          baseline: { label: "bare sharp resize and encode", value: poster.bareMs },
          target: { max: 1.3, of: "ratio" },
        },
      });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

const POSTER = "synthetic poster (PNG)";

/** sharp alone: the file scaled into the same box and encoded as the server sent it. */
async function bareResize(file: string, mimeType: PreparedImage["mimeType"]): Promise<void> {
  const resized = sharp(file, { limitInputPixels: false }).resize({ width: LIMITS.maxEdge, height: LIMITS.maxEdge, fit: "inside", withoutEnlargement: true });
  await (mimeType === "image/jpeg" ? resized.jpeg({ quality: 90, chromaSubsampling: "4:4:4", optimiseCoding: false }) : resized.png({ compressionLevel: 6 })).toBuffer();
}

async function fixtureInputs(): Promise<Input[]> {
  try {
    const names = (await readdir(FIXTURES)).filter((name) => name.endsWith(".png")).sort();
    return names.map((name) => ({ name, file: path.join(FIXTURES, name) }));
  } catch {
    process.stderr.write(`No fixtures at ${FIXTURES}; measuring synthetic images only.\n`);
    return [];
  }
}

/** A 12-megapixel photo-like JPEG and a 48-megapixel PNG screenshot-like image. */
async function syntheticInputs(directory: string): Promise<Input[]> {
  const photo = path.join(directory, "photo-12mp.jpg");
  await sharp(noise(4000, 3000), { raw: { width: 4000, height: 3000, channels: 3 } })
    .blur(1.5)
    .jpeg({ quality: 88 })
    .toFile(photo);
  const poster = path.join(directory, "poster-48mp.png");
  const tile = await sharp(Buffer.from(posterSvg())).png().toBuffer();
  await sharp({ create: { width: 8000, height: 6000, channels: 3, background: "#ffffff" } })
    .composite([{ input: tile, tile: true, gravity: "northwest" }])
    .png()
    .toFile(poster);
  return [
    { name: "synthetic photo (JPEG)", file: photo },
    { name: POSTER, file: poster },
  ];
}

function posterSvg(): string {
  const boxes = Array.from({ length: 12 }, (_, index) => {
    const x = 20 + (index % 4) * 240;
    const y = 20 + Math.floor(index / 4) * 160;
    return `<rect x="${x}" y="${y}" width="200" height="100" rx="8" fill="#eef" stroke="#335"/><text x="${x + 16}" y="${y + 56}" font-size="18" font-family="sans-serif">Service ${index + 1}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="500">${boxes.join("")}</svg>`;
}

function noise(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let index = 0; index < pixels.length; index++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    pixels[index] = (index % 3) * 60 + (seed & 0x3f);
  }
  return pixels;
}

/** The preparation's peak memory rise, measured in a process of its own. */
function memoryGrowth(file: string): number {
  const output = execFileSync(process.execPath, ["--import", "tsx", "--conditions=react-server", path.join(PROJECT_ROOT, "bench/prepare-memory.ts"), file], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
  });
  return (JSON.parse(output.trim().split("\n").at(-1)!) as { peakGrowthBytes: number }).peakGrowthBytes;
}


await main();
