/**
 * What the server's image preparation changes in what a model receives, per diagram fixture:
 * `npm run bench:image-tokens`. Each fixture's original file is set against the image the server
 * sends (prepareImage with the server's limits: decoded, turned upright, flattened onto white,
 * long edge at most 3072 px, re-encoded as PNG or JPEG), and measured three ways:
 * - bytes: the original file, the prepared image, and the base64 of the prepared image, which is
 *   what lib/providers/gemini.ts sends inline (`inlineData.data`);
 * - estimated image tokens, for the original's and the prepared image's dimensions:
 *   - Gemini 3: a fixed allocation per image set by `media_resolution` (the server sends
 *     GEMINI_MEDIA_RESOLUTION low|medium|high), 280, 560 and 1120 tokens, documented as the most
 *     tokens one image is given, whatever its size: the Gemini 3 developer guide,
 *     https://ai.google.dev/gemini-api/docs/gemini-3 ("images scale linearly
 *     (media_resolution_low: 280, media_resolution_medium: 560, media_resolution_high: 1120)"),
 *     which refers to https://ai.google.dev/gemini-api/docs/media-resolution#token-counts.
 *     The per-image figure is used as the count, so original and prepared spend the same;
 *   - Gemini 2.x: https://ai.google.dev/gemini-api/docs/tokens ("image inputs with both
 *     dimensions <=384 pixels are counted as 258 tokens. Images larger in one or both dimensions
 *     are cropped and scaled as needed into tiles of 768x768 pixels, each counted as 258
 *     tokens"). The page does not say how many tiles "as needed" is; implemented here as
 *     258 × ⌈width / 768⌉ × ⌈height / 768⌉, the reading of
 *     https://geminibyexample.com/027-calculate-input-tokens/. An estimate, not a count from the
 *     API (countTokens needs a key and the network).
 * - legibility kept: the offline analyzer (PaddleOCR int8, layout, answer) on the original's
 *   pixels as decoded (flattened onto white as the analyzer does, no resizing beyond the OCR's own
 *   scaling) and on the prepared image, answering "Explain this architecture"; label recall is
 *   the share of the fixture's labels found in the answer, matched as bench/eval-offline.ts
 *   matches them, so the prepared image's recall is eval-offline's. Also the recall over the OCR's
 *   lines alone, to tell a reading lost from a layout changed. The issue's target: the prepared
 *   image's recall within 2 points of the original's, per group and overall, each the mean over
 *   its fixtures.
 * Writes bench/results/image-tokens.md and the "image-tokens" entry of bench/results/summary.json.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp from "sharp";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import { analyzeImage } from "@/lib/offline/analyze-image";
import { composeAnswer } from "@/lib/offline/answer/compose-answer";
import { createPaddleOcr, type OcrEngine } from "@/lib/offline/ocr/paddle-ocr";
import { formatBytes } from "@/lib/shared/format";
import { loadFixtures, publishReport, recordSummary, type Figure, type Fixture, machineLine } from "./fixtures";
import { median } from "./stats";
import { appearsIn } from "./label-match";

const RESULTS_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "results/image-tokens.md");
/** The server's limits (lib/config.ts defaults), as the other benchmarks use them. */
const LIMITS = { maxPixels: 100_000_000, maxEdge: 3072 };
const TASK = "Explain this architecture";
/** Recall may fall by at most this many points from the original's to the prepared image's. */
const TARGET_POINTS = 2;

/** Tokens per image for each `media_resolution`, Gemini 3 (sources in the header). */
const GEMINI3_TOKENS = { low: 280, medium: 560, high: 1120 } as const;
const GEMINI2_SMALL_EDGE = 384;
const GEMINI2_TILE = 768;
const GEMINI2_TOKENS_PER_TILE = 258;

interface Reading {
  /** Share of the labels found in the answer, as eval-offline counts it. */
  recall: number;
  missed: string[];
  /** Share of the labels found in the OCR's lines alone. */
  ocrRecall: number;
}

interface Row {
  fixture: Fixture;
  original: { bytes: number; base64: number; width: number; height: number; mimeType: string };
  prepared: { bytes: number; base64: number; width: number; height: number; mimeType: string };
  /** How the prepared image's pixels compare with the original's, decoded as the analyzer decodes them. */
  pixels: string;
  originalReading: Reading;
  preparedReading: Reading;
}

async function main() {
  const fixtures = await loadFixtures().catch(() => []);
  if (!fixtures.length) {
    console.error("No fixtures at ../shared/fixtures/diagrams: skipping the image token benchmark.");
    return;
  }
  const ocr = await createPaddleOcr();
  const rows: Row[] = [];
  try {
    for (const fixture of fixtures) {
      const original = await readFile(fixture.file);
      const prepared = await prepareImage(fixture.file, LIMITS);
      const pixels = await comparePixels(original, prepared);
      const originalReading = await read(ocr, original, fixture.labels);
      const preparedReading = await read(ocr, prepared.data, fixture.labels);
      const row: Row = {
        fixture,
        original: {
          bytes: original.length,
          base64: original.toString("base64").length,
          width: prepared.source.width,
          height: prepared.source.height,
          mimeType: prepared.source.mimeType,
        },
        prepared: {
          bytes: prepared.bytes,
          base64: prepared.data.toString("base64").length,
          width: prepared.width,
          height: prepared.height,
          mimeType: prepared.mimeType,
        },
        pixels,
        originalReading,
        preparedReading,
      };
      rows.push(row);
      process.stderr.write(
        `${fixture.name}: ${formatBytes(row.original.bytes)} → ${formatBytes(row.prepared.bytes)}, recall ${percent(originalReading.recall)} → ${percent(preparedReading.recall)} (${pixels})\n`,
      );
    }
  } finally {
    await ocr.close();
  }
  await publishReport(RESULTS_FILE, render(rows, ocr.recognition));
  await recordSummary("image-tokens", figures(rows));
}

/** The offline analyzer's answer to the task, and which labels it holds. */
async function read(ocr: OcrEngine, image: Buffer, labels: string[]): Promise<Reading> {
  const analysis = await analyzeImage(ocr, image);
  const answer = composeAnswer(analysis, TASK).join("\n\n");
  const lines = analysis.texts.map((text) => text.text).join("\n");
  const missed = labels.filter((label) => !appearsIn(label, answer));
  const missedByOcr = labels.filter((label) => !appearsIn(label, lines));
  return { recall: 1 - missed.length / labels.length, missed, ocrRecall: 1 - missedByOcr.length / labels.length };
}

/** Both images decoded as analyzeImage decodes them: the same pixels, or how they differ. */
async function comparePixels(original: Buffer, prepared: PreparedImage): Promise<string> {
  if (prepared.width !== prepared.source.width || prepared.height !== prepared.source.height) return "scaled down";
  const decode = (image: Buffer) => sharp(image).flatten({ background: "#ffffff" }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const [a, b] = await Promise.all([decode(original), decode(prepared.data)]);
  if (a.info.channels !== b.info.channels || a.data.length !== b.data.length) return `differ (${a.info.channels} vs ${b.info.channels} channels)`;
  let differing = 0;
  let largest = 0;
  for (let index = 0; index < a.data.length; index++) {
    const delta = Math.abs(a.data[index]! - b.data[index]!);
    if (delta) differing++;
    largest = Math.max(largest, delta);
  }
  return differing ? `differ (${((differing / a.data.length) * 100).toFixed(2)} % of samples, at most ${largest} levels)` : "identical";
}

function gemini2Tokens(width: number, height: number): number {
  if (width <= GEMINI2_SMALL_EDGE && height <= GEMINI2_SMALL_EDGE) return GEMINI2_TOKENS_PER_TILE;
  return Math.ceil(width / GEMINI2_TILE) * Math.ceil(height / GEMINI2_TILE) * GEMINI2_TOKENS_PER_TILE;
}

interface GroupSummary {
  name: string;
  rows: Row[];
  /** Mean over the fixtures, 0–1. */
  original: number;
  prepared: number;
  /** Points lost from the original's recall to the prepared image's (negative: gained). */
  lost: number;
}

function summarise(name: string, rows: Row[]): GroupSummary {
  const original = mean(rows.map((row) => row.originalReading.recall));
  const prepared = mean(rows.map((row) => row.preparedReading.recall));
  return { name, rows, original, prepared, lost: (original - prepared) * 100 };
}

function groupsOf(rows: Row[]): GroupSummary[] {
  const names = [...new Set(rows.map((row) => row.fixture.group))];
  return names.map((name) => summarise(name, rows.filter((row) => row.fixture.group === name)));
}

/** The image whose recall the preparation lowered most (or raised least). */
function worstOf(rows: Row[]): GroupSummary {
  return rows.map((row) => summarise(row.fixture.name, [row])).reduce((a, b) => (b.lost > a.lost ? b : a));
}

function render(rows: Row[], recognition: string): string {
  const total = (pick: (row: Row) => number) => rows.reduce((sum, row) => sum + pick(row), 0);
  const [originalBytes, preparedBytes] = [total((row) => row.original.bytes), total((row) => row.prepared.bytes)];
  const [originalBase64, preparedBase64] = [total((row) => row.original.base64), total((row) => row.prepared.base64)];
  const scaled = rows.filter((row) => row.pixels === "scaled down");
  const groups = groupsOf(rows);
  const overall = summarise("all", rows);
  const worstImage = worstOf(rows);

  const detail = rows.map((row) => {
    const delta = (row.preparedReading.recall - row.originalReading.recall) * 100;
    return [
      row.fixture.name,
      row.fixture.group,
      `${row.original.width}×${row.original.height} ${format(row.original.mimeType)}`,
      `${row.prepared.width}×${row.prepared.height} ${format(row.prepared.mimeType)}`,
      formatBytes(row.original.bytes),
      formatBytes(row.prepared.bytes),
      (row.prepared.bytes / row.original.bytes).toFixed(2),
      formatBytes(row.prepared.base64),
      `${gemini2Tokens(row.original.width, row.original.height)} → ${gemini2Tokens(row.prepared.width, row.prepared.height)}`,
      percent(row.originalReading.recall),
      percent(row.preparedReading.recall),
      points(delta),
      row.pixels,
    ];
  });
  const groupRows = [...groups, overall].map((group) => {
    const pooled = (pick: (row: Row) => Reading) => {
      const labels = group.rows.reduce((sum, row) => sum + row.fixture.labels.length, 0);
      const found = group.rows.reduce((sum, row) => sum + row.fixture.labels.length - pick(row).missed.length, 0);
      return `${found}/${labels}`;
    };
    return [
      group.name === "all" ? "**all**" : group.name,
      String(group.rows.length),
      `${percent(group.original)} (${pooled((row) => row.originalReading)})`,
      `${percent(group.prepared)} (${pooled((row) => row.preparedReading)})`,
      points(-group.lost),
      group.lost <= TARGET_POINTS ? "yes" : "**no**",
      `${percent(mean(group.rows.map((row) => row.originalReading.ocrRecall)))} → ${percent(mean(group.rows.map((row) => row.preparedReading.ocrRecall)))}`,
    ];
  });
  const changed = rows.filter((row) => row.originalReading.recall !== row.preparedReading.recall || row.originalReading.missed.join() !== row.preparedReading.missed.join());
  const changes = changed.map((row) => {
    const onlyPrepared = row.preparedReading.missed.filter((label) => !row.originalReading.missed.includes(label));
    const onlyOriginal = row.originalReading.missed.filter((label) => !row.preparedReading.missed.includes(label));
    const ocr = `${percent(row.originalReading.ocrRecall)} → ${percent(row.preparedReading.ocrRecall)}`;
    return `- ${row.fixture.name} (${row.pixels}): missed only in the prepared image: ${labelList(onlyPrepared)}; missed only in the original: ${labelList(onlyOriginal)}. OCR lines alone, original → prepared: ${ocr}.`;
  });
  const tokenRow = (name: string, original: number[], prepared: number[]) => {
    const [originalTotal, preparedTotal] = [original.reduce((a, b) => a + b, 0), prepared.reduce((a, b) => a + b, 0)];
    return table([[name, String(originalTotal), String(preparedTotal), (preparedTotal / originalTotal).toFixed(3), `${median(original)} → ${median(prepared)}`]]);
  };
  const tokenRows = [
    tokenRow(
      "Gemini 2.x (258 per 768 px tile)",
      rows.map((row) => gemini2Tokens(row.original.width, row.original.height)),
      rows.map((row) => gemini2Tokens(row.prepared.width, row.prepared.height)),
    ),
    ...Object.entries(GEMINI3_TOKENS).map(([level, tokens]) =>
      tokenRow(`Gemini 3, media_resolution ${level} (${tokens} per image)`, rows.map(() => tokens), rows.map(() => tokens)),
    ),
  ];

  return [
    "# Image tokens and bytes: original upload against the prepared image",
    "",
    `${machineLine()}. Recogniser: ${recognition}. ${rows.length} diagrams; preparation with the server's limits (long edge ≤ ${LIMITS.maxEdge} px). Task for the offline analyzer: “${TASK}”.`,
    "",
    "Token figures are estimates from Google's documented rules (sources in `bench/image-tokens.ts`): Gemini 2.x, 258 tokens for an image with both sides ≤ 384 px, otherwise 258 × ⌈width / 768⌉ × ⌈height / 768⌉; Gemini 3, a fixed 280 / 560 / 1120 tokens per image for `media_resolution` low / medium / high (`GEMINI_MEDIA_RESOLUTION`), whatever the image's size.",
    "",
    "## Summary",
    "",
    "| bytes | original | prepared | prepared ÷ original |",
    "| --- | --- | --- | --- |",
    `| total, ${rows.length} files | ${formatBytes(originalBytes)} | ${formatBytes(preparedBytes)} | ${(preparedBytes / originalBytes).toFixed(3)} |`,
    `| total as base64, what is sent inline | ${formatBytes(originalBase64)} | ${formatBytes(preparedBase64)} | ${(preparedBase64 / originalBase64).toFixed(3)} |`,
    `| median per file | ${formatBytes(median(rows.map((row) => row.original.bytes)))} | ${formatBytes(median(rows.map((row) => row.prepared.bytes)))} | ${median(rows.map((row) => row.prepared.bytes / row.original.bytes)).toFixed(3)} (median of the ratios) |`,
    "",
    `Scaled down by the preparation: ${scaled.length ? scaled.map((row) => `${row.fixture.name} (${row.original.width}×${row.original.height} → ${row.prepared.width}×${row.prepared.height})`).join(", ") : "none"}; every other image keeps its size.`,
    "",
    "| image tokens (estimated) | original, total | prepared, total | prepared ÷ original | median per image, original → prepared |",
    "| --- | --- | --- | --- | --- |",
    ...tokenRows,
    "",
    `Label recall, mean over the fixtures (pooled labels found in brackets, as eval-offline.md counts its groups); the target: the prepared image's recall at most ${TARGET_POINTS} points below the original's.`,
    "",
    "| group | images | recall, original | recall, prepared | prepared − original | within target | OCR lines alone¹, original → prepared |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...groupRows.map((cells) => table([cells])),
    "",
    `Largest change on one image: ${points(-worstImage.lost)} (${worstImage.name}).`,
    "",
    "¹ The labels found in the OCR's lines joined in reading order, before any layout or answer: a label drawn on two lines often has another box's line between its halves there, so this is lower than the answer's recall and serves only to compare the two images' readings.",
    "",
    changes.length ? `Fixtures whose labels found changed:\n\n${changes.join("\n")}` : "No fixture's labels found changed between the original and the prepared image.",
    "",
    "## Per image",
    "",
    "Pixels: the prepared image against the original, both decoded as the analyzer decodes them (flattened onto white).",
    "",
    "| image | group | original | prepared | original bytes | prepared bytes | ratio | base64 sent | Gemini 2.x tokens | recall, original | recall, prepared | Δ | pixels |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...detail.map((cells) => table([cells])),
    "",
  ].join("\n");
}

function figures(rows: Row[]): Record<string, Figure> {
  const total = (pick: (row: Row) => number) => rows.reduce((sum, row) => sum + pick(row), 0);
  const groups = groupsOf(rows);
  const overall = summarise("all", rows);
  const worst = groups.reduce((a, b) => (b.lost > a.lost ? b : a));
  const n = rows.length;
  return {
    preparedBytes: {
      label: `prepared images, total bytes over ${n} diagrams`,
      value: total((row) => row.prepared.bytes),
      unit: "bytes",
      baseline: { label: "original files", value: total((row) => row.original.bytes) },
    },
    inlineBase64Bytes: {
      label: `base64 sent inline, total over ${n} diagrams`,
      value: total((row) => row.prepared.base64),
      unit: "bytes",
      baseline: { label: "the original files as base64", value: total((row) => row.original.base64) },
    },
    gemini2Tokens: {
      label: `Gemini 2.x image tokens (estimated, 258 per 768 px tile), total over ${n} diagrams`,
      value: total((row) => gemini2Tokens(row.prepared.width, row.prepared.height)),
      unit: "tokens",
      baseline: { label: "at the originals' dimensions", value: total((row) => gemini2Tokens(row.original.width, row.original.height)) },
    },
    gemini3HighTokens: {
      label: `Gemini 3 image tokens, media_resolution high (${GEMINI3_TOKENS.high} per image, documented), total over ${n} diagrams`,
      value: GEMINI3_TOKENS.high * n,
      unit: "tokens",
      baseline: { label: "the originals", value: GEMINI3_TOKENS.high * n },
    },
    labelRecall: {
      label: `offline label recall, prepared images, mean over ${n} diagrams`,
      value: overall.prepared * 100,
      unit: "%",
      baseline: { label: "the originals' pixels", value: overall.original * 100 },
    },
    labelRecallLost: {
      label: "label recall points lost by the preparation (original − prepared), mean over all diagrams",
      value: overall.lost,
      unit: "%",
      target: { max: TARGET_POINTS, of: "value" },
    },
    labelRecallLostWorstGroup: {
      label: `label recall points lost by the preparation, worst group (${worst.name})`,
      value: worst.lost,
      unit: "%",
      target: { max: TARGET_POINTS, of: "value" },
    },
    labelRecallLostWorstImage: {
      label: `label recall points lost by the preparation, worst single image (${worstOf(rows).name}); the target is per group and overall`,
      value: worstOf(rows).lost,
      unit: "%",
    },
  };
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}


function percent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

/** Signed percentage points; `|| 0` so that nothing is 0, not −0. */
function points(value: number): string {
  const rounded = Number(value.toFixed(1)) || 0;
  return `${rounded > 0 ? "+" : ""}${rounded.toFixed(1)} pt`;
}

function format(mimeType: string): string {
  return mimeType.replace("image/", "").toUpperCase();
}

function labelList(labels: string[]): string {
  return labels.map((label) => label.replace(/\|/g, "\\|")).join("; ") || "—";
}

function table(rows: string[][]): string {
  return rows.map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

await main();
