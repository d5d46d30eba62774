import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { photoLikePixels } from "@/tests/helpers/images";
import { TEST_DIST_DIR } from "@/tests/helpers/next-server";

/** The shared diagram fixtures, with their ground truth, for the evaluation and benchmarks. */
export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../shared/fixtures/diagrams");

export interface Fixture {
  name: string;
  group: "synthetic 1600 px" | "synthetic 800 px" | "synthetic JPEG" | "real";
  file: string;
  /** Labels that should appear in an answer: nodes and containers (synthetic), every label (real). */
  labels: string[];
  /** Synthetic only: each node's label and the title of the container it sits in. */
  nodes?: Array<{ label: string; container: string | null }>;
}

interface GroundTruth {
  labels: Array<{ kind: string; text: string }>;
  nodes: Array<{ label: string; container: string | null }>;
}

export async function loadFixtures(): Promise<Fixture[]> {
  const fixtures: Fixture[] = [];
  const synthetic = path.join(FIXTURES_DIR, "synthetic");
  for (const name of (await readdir(synthetic)).filter((file) => file.endsWith(".gt.json")).sort()) {
    const truth = JSON.parse(await readFile(path.join(synthetic, name), "utf8")) as GroundTruth;
    const base = name.replace(".gt.json", "");
    const labels = truth.labels.filter((label) => label.kind === "node" || label.kind === "container").map((label) => label.text);
    const variants = [
      { suffix: "-1600.png", group: "synthetic 1600 px" },
      { suffix: "-800.png", group: "synthetic 800 px" },
      { suffix: "-1280j.jpg", group: "synthetic JPEG" },
    ] as const;
    for (const { suffix, group } of variants) {
      fixtures.push({ name: `${base}${suffix}`, group, file: path.join(synthetic, `${base}${suffix}`), labels, nodes: truth.nodes });
    }
  }
  const real = path.join(FIXTURES_DIR, "real");
  for (const name of (await readdir(real)).filter((file) => file.endsWith(".png")).sort()) {
    const text = await readFile(path.join(real, name.replace(".png", ".labels.txt")), "utf8");
    fixtures.push({ name, group: "real", file: path.join(real, name), labels: text.split("\n").map((line) => line.trim()).filter(Boolean) });
  }
  return fixtures;
}

/** The machine a report was measured on: "2 cores (AMD EPYC), Node v20.20.2". */
export function machineLine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}`;
}

/** Stops a benchmark of the production server before it starts when there is no build to serve. */
export function requireTestBuild(): void {
  if (!existsSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", TEST_DIST_DIR))) {
    throw new Error(`No production build in ${TEST_DIST_DIR}: run \`npm run build:test\` first.`);
  }
}

/** A PNG of photo-like pixels stored uncompressed: an upload of about width × height × 3 bytes that nothing shrinks. */
export async function uncompressedPhotoPng(width: number, height: number): Promise<Buffer> {
  return sharp(photoLikePixels(width, height), { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

/** Writes a benchmark's markdown report to its results file and prints it. */
export async function publishReport(file: string, markdown: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, markdown);
  process.stdout.write(markdown);
}

/** One measured figure: its value and, where it has one, the baseline measured in the same run. */
export interface Figure {
  /** What was measured, in a few words: "peak memory rise, 150 MB PNG". */
  label: string;
  value: number;
  unit: "ms" | "MiB" | "bytes" | "tokens" | "%" | "req/s" | "count";
  /** The same measurement of the baseline, in the same run, so the ratio survives a noisy machine. */
  baseline?: { label: string; value: number };
  /** The target for the value or, with `ratio`, for value ÷ baseline. */
  target?: { max: number; of: "value" | "ratio" };
}

const SUMMARY_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "results/summary.json");

/**
 * Records one benchmark's figures in bench/results/summary.json under its name, keeping the other
 * benchmarks' entries: each benchmark can be run alone, and `npm run bench` runs them all.
 */
export async function recordSummary(bench: string, figures: Record<string, Figure>): Promise<void> {
  let summary: Record<string, unknown> = {};
  try {
    summary = JSON.parse(await readFile(SUMMARY_FILE, "utf8")) as Record<string, unknown>;
  } catch {
    // No summary yet: this benchmark starts it.
  }
  const entries = Object.fromEntries(
    Object.entries(figures).map(([key, figure]) => {
      const ratio = figure.baseline && figure.baseline.value !== 0 ? Number((figure.value / figure.baseline.value).toFixed(3)) : undefined;
      const measured = figure.target ? (figure.target.of === "ratio" ? ratio : figure.value) : undefined;
      const met = figure.target && measured !== undefined ? measured <= figure.target.max : undefined;
      const baseline = figure.baseline && { ...figure.baseline, value: round(figure.baseline.value) };
      return [key, { ...figure, value: round(figure.value), ...(baseline ? { baseline } : {}), ...(ratio === undefined ? {} : { ratio }), ...(met === undefined ? {} : { met }) }];
    }),
  );
  summary[bench] = { measuredAt: new Date().toISOString(), node: process.version, cores: os.cpus().length, figures: entries };
  const ordered = Object.fromEntries(Object.keys(summary).sort().map((key) => [key, summary[key]]));
  await mkdir(path.dirname(SUMMARY_FILE), { recursive: true });
  await writeFile(SUMMARY_FILE, `${JSON.stringify(ordered, null, 2)}\n`);
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Number(value.toFixed(2));
}
