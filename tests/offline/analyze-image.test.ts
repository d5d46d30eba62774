import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeImage, parseStepNumber, type ImageAnalysis } from "@/lib/offline/analyze-image";
import { composeAnswer } from "@/lib/offline/answer/compose-answer";
import { createPaddleOcr, ocrScale, type OcrEngine } from "@/lib/offline/ocr/paddle-ocr";
import type { Box, RawPixels } from "@/lib/offline/types";
import { photoLikePng } from "@/tests/helpers/images";

/**
 * The whole offline pipeline in this process: the real OCR (PP-OCRv4 on ONNX), the layout and
 * the catalogue, on a diagram drawn here from SVG (DejaVu Sans) and on a photo-like picture.
 * The OCR loads once (about a second) and reads each image in a second or two.
 */

const TIMEOUT = 60_000;
const FONT = "DejaVu Sans, Arial, sans-serif";

const text = (x: number, y: number, value: string, size: number, weight = "normal") =>
  `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${size}" font-weight="${weight}" fill="#1f2933">${value}</text>`;
/** A component box: white, grey border, its label in it. */
const component = ({ x, y, width, height }: Box, label: string) =>
  `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="8" fill="#ffffff" stroke="#607d8b" stroke-width="2"/>` +
  text(x + 24, y + height / 2 + 8, label, 24);
/** A group box on a tinted fill with its bold title at the top left. */
const group = ({ x, y, width, height }: Box, title: string, fill: string) =>
  `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="6" fill="${fill}" stroke="#546e7a" stroke-width="2"/>` +
  text(x + 30, y + 50, title, 28, "bold");
/** A numbered step: a dark disc with a white digit. */
const step = (cx: number, cy: number, digit: string) =>
  `<circle cx="${cx}" cy="${cy}" r="20" fill="#263238"/>` +
  `<text x="${cx}" y="${cy + 8}" text-anchor="middle" font-family="${FONT}" font-size="22" font-weight="bold" fill="#ffffff">${digit}</text>`;

const BOX = {
  ingestion: { x: 60, y: 140, width: 640, height: 680 },
  storage: { x: 920, y: 140, width: 620, height: 680 },
  apiGateway: { x: 180, y: 260, width: 360, height: 110 },
  lambda: { x: 180, y: 460, width: 360, height: 110 },
  kinesis: { x: 180, y: 660, width: 360, height: 110 },
  s3: { x: 1040, y: 260, width: 360, height: 110 },
  cloudwatch: { x: 1040, y: 560, width: 360, height: 110 },
};

/**
 * A 1600 × 900 AWS pipeline: a title; "Data Ingestion" holding API Gateway, Lambda Functions and
 * Kinesis Streams; "Storage and Monitoring" holding Amazon S3 and Amazon CloudWatch; steps 1, 2
 * and 3 beside API Gateway, Lambda Functions and Amazon S3; an arrow labelled "events" from
 * Lambda Functions to Amazon S3.
 */
const DIAGRAM_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="900">
  <rect width="100%" height="100%" fill="#ffffff"/>
  ${text(60, 70, "Clickstream Analytics Platform", 40, "bold")}
  ${group(BOX.ingestion, "Data Ingestion", "#e3f2fd")}
  ${group(BOX.storage, "Storage and Monitoring", "#e8f5e9")}
  ${component(BOX.apiGateway, "API Gateway")}
  ${component(BOX.lambda, "Lambda Functions")}
  ${component(BOX.kinesis, "Kinesis Streams")}
  ${component(BOX.s3, "Amazon S3")}
  ${component(BOX.cloudwatch, "Amazon CloudWatch")}
  ${step(130, 315, "1")}
  ${step(130, 515, "2")}
  ${step(1450, 315, "3")}
  <line x1="542" y1="515" x2="1026" y2="315" stroke="#455a64" stroke-width="3"/>
  <polygon points="1038,310 1020,307 1028,325" fill="#455a64"/>
  ${text(760, 390, "events", 24)}
</svg>`;

/** Case, spaces and punctuation aside, and the OCR's I/l/1 and O/0 slips folded. */
const loose = (value: string) =>
  value
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .replace(/[i1]/g, "l")
    .replace(/0/g, "o");

let ocr: OcrEngine;
let diagram: ImageAnalysis;
let photo: ImageAnalysis;

beforeAll(async () => {
  ocr = await createPaddleOcr();
  diagram = await analyzeImage(ocr, await sharp(Buffer.from(DIAGRAM_SVG)).png().toBuffer());
  photo = await analyzeImage(ocr, await photoLikePng(1600, 1000));
}, TIMEOUT);

afterAll(async () => {
  await ocr?.close();
}, TIMEOUT);

function node(label: string) {
  const found = diagram.layout.nodes.find((candidate) => loose(candidate.label) === loose(label));
  if (!found) throw new Error(`no node "${label}" among ${diagram.layout.nodes.map((each) => each.label).join(", ")}`);
  return found;
}

function containerTitle(label: string): string | null {
  const { containerId } = node(label);
  return containerId === null ? null : loose(diagram.layout.containers.find((container) => container.id === containerId)!.title);
}

function expectBoxNear(actual: Box, expected: Box, tolerance = 4) {
  for (const key of ["x", "y", "width", "height"] as const) {
    expect({ key, off: Math.abs(actual[key] - expected[key]) <= tolerance }).toEqual({ key, off: true });
  }
}

describe("analyzeImage on a rendered architecture diagram", { timeout: TIMEOUT }, () => {
  it("reads every label, title and arrow label, in reading order", () => {
    const read = diagram.texts.map((line) => loose(line.text));
    for (const label of [
      "Clickstream Analytics Platform",
      "Data Ingestion",
      "Storage and Monitoring",
      "API Gateway",
      "Lambda Functions",
      "Kinesis Streams",
      "Amazon S3",
      "Amazon CloudWatch",
      "events",
    ]) {
      expect(read).toContain(loose(label));
    }
    const tops = diagram.texts.map((line) => line.box.y);
    expect(tops).toEqual([...tops].sort((a, b) => a - b));
    expect(diagram.width).toBe(1600);
    expect(diagram.height).toBe(900);
  });

  it("is a diagram, titled", () => {
    expect(diagram.isDiagram).toBe(true);
    expect(loose(diagram.layout.title ?? "")).toBe(loose("Clickstream Analytics Platform"));
  });

  it("finds the two group boxes with their titles", () => {
    const containers = diagram.layout.containers;
    expect(containers.map((container) => loose(container.title))).toEqual([loose("Data Ingestion"), loose("Storage and Monitoring")]);
    expect(containers.map((container) => container.parentId)).toEqual([null, null]);
    expectBoxNear(containers[0]!.box, BOX.ingestion);
    expectBoxNear(containers[1]!.box, BOX.storage);
  });

  it("finds the five components, each in its group", () => {
    expect(diagram.layout.nodes).toHaveLength(5);
    expect(containerTitle("API Gateway")).toBe(loose("Data Ingestion"));
    expect(containerTitle("Lambda Functions")).toBe(loose("Data Ingestion"));
    expect(containerTitle("Kinesis Streams")).toBe(loose("Data Ingestion"));
    expect(containerTitle("Amazon S3")).toBe(loose("Storage and Monitoring"));
    expect(containerTitle("Amazon CloudWatch")).toBe(loose("Storage and Monitoring"));
    expectBoxNear(node("API Gateway").box, BOX.apiGateway);
    expectBoxNear(node("Amazon CloudWatch").box, BOX.cloudwatch);
    expect(diagram.layout.notes).toEqual([]);
  });

  it("numbers the step circles it reads and ties each to the component beside it", () => {
    const steps = diagram.layout.steps.map((marker) => ({ number: marker.number, nodeId: marker.nodeId }));
    expect(steps).toContainEqual({ number: 2, nodeId: node("Lambda Functions").id });
    expect(steps).toContainEqual({ number: 3, nodeId: node("Amazon S3").id });
    // Stepped components lead the node order, in step order.
    const stepped = [...diagram.layout.steps].sort((a, b) => a.number - b.number).map((marker) => marker.nodeId);
    expect(diagram.layout.nodes.slice(0, stepped.length).map((each) => each.id)).toEqual(stepped);
  });

  it("numbers every step circle, 1 included", () => {
    expect(diagram.layout.steps.map((marker) => [marker.number, marker.nodeId])).toEqual([
      [1, node("API Gateway").id],
      [2, node("Lambda Functions").id],
      [3, node("Amazon S3").id],
    ]);
  });

  it("follows the arrow and keeps its label", () => {
    expect(diagram.layout.connections).toEqual([{ from: node("Lambda Functions").id, to: node("Amazon S3").id, label: "events" }]);
  });

  it("knows every component from the catalogue", () => {
    const concepts = Object.fromEntries(
      diagram.components.map(({ node: each, concept }) => [loose(each.label), concept && { id: concept.id, category: concept.category }]),
    );
    expect(concepts).toEqual({
      [loose("API Gateway")]: { id: "api-gateway", category: "serving" },
      [loose("Lambda Functions")]: { id: "aws-lambda", category: "compute" },
      [loose("Kinesis Streams")]: { id: "aws-kinesis-data-streams", category: "ingestion" },
      [loose("Amazon S3")]: { id: "aws-s3", category: "storage" },
      [loose("Amazon CloudWatch")]: { id: "aws-cloudwatch", category: "monitoring" },
    });
    for (const { concept } of diagram.components) expect(concept?.role).toMatch(/^[A-Z].{19,}\.$/);
    expect(diagram.components.map(({ node: each }) => each)).toEqual(diagram.layout.nodes);
  });

  it("reports the white page and the two group fills as its main colours", () => {
    const [page, ...rest] = diagram.colours;
    expect(page).toMatchObject({ hex: "#f8f8f8" });
    expect(page!.share).toBeGreaterThan(0.4);
    expect(rest.slice(0, 2).map((colour) => colour.hex).sort()).toEqual(["#e8f8e8", "#e8f8f8"]);
  });

  it("gives answers built from what it read", () => {
    const table = composeAnswer(diagram, "List every component and its role")[2]!;
    const rows = table.split("\n").slice(4);
    expect(rows).toHaveLength(5);
    // The OCR drops the spaces; the answer spells known components as the catalogue does.
    expect(rows.find((row) => row.includes("Amazon S3"))).toMatch(/^\| Amazon S3 \| Storage ?and ?Monitoring \| storage \| Object storage/);
    expect(rows.find((row) => row.includes("API Gateway"))).toMatch(/^\| API Gateway \| Data ?[Il]ngestion \| serving \| /);
    const [, story] = composeAnswer(diagram, "What does Amazon S3 do?");
    expect(story).toMatch(/^## Amazon S3\n/);
    expect(story).toMatch(/It receives from: \*\*Lambda ?Functions\*\* \(AWS Lambda\)\./);
  });
});

describe("analyzeImage on a photo-like picture", { timeout: TIMEOUT }, () => {
  it("is no diagram: no components, no groups, no steps", () => {
    expect(photo.isDiagram).toBe(false);
    expect(photo.layout.nodes).toEqual([]);
    expect(photo.components).toEqual([]);
    expect(photo.layout.steps).toEqual([]);
    expect(photo.width).toBe(1600);
    expect(photo.height).toBe(1000);
  });

  it("reports its main colours, most common first", () => {
    expect(photo.colours.length).toBeGreaterThanOrEqual(1);
    expect(photo.colours.length).toBeLessThanOrEqual(5);
    for (const { hex, share } of photo.colours) {
      expect(hex).toMatch(/^#[0-9a-f]{6}$/);
      expect(share).toBeGreaterThan(0);
    }
    const shares = photo.colours.map((colour) => colour.share);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    expect(shares.reduce((sum, share) => sum + share, 0)).toBeLessThanOrEqual(1);
  });

  it("answers with facts about the picture, not a diagram reading", () => {
    const sections = composeAnswer(photo, "what colour is the car?");
    expect(sections[1]).toContain("does not look like a diagram");
    expect(sections.at(-1)).toContain("- Size: 1600 × 1000 px");
    expect(sections.at(-1)).toContain(`\`${photo.colours[0]!.hex}\``);
  });
});

/** A step circle alone on a white page, and the crop analyzeImage reads its digit from. */
async function stepCrop(digit: string): Promise<{ image: RawPixels; centre: Box }> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120"><rect width="100%" height="100%" fill="#ffffff"/>${step(60, 60, digit)}</svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).flatten({ background: "#ffffff" }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const image = { data, width: info.width, height: info.height, channels: info.channels };
  // The marker box the layout reports for an r = 20 disc is 41 px; analyzeImage insets it by 20 %.
  const marker = { x: 40, y: 40, width: 41, height: 41 };
  const inset = marker.width * 0.2;
  return { image, centre: { x: marker.x + inset, y: marker.y + inset, width: marker.width - 2 * inset, height: marker.height - 2 * inset } };
}

describe("readLines on a step circle", { timeout: TIMEOUT }, () => {
  it.each(["2", "3", "5", "9"])("reads the white digit %s on the dark disc", async (digit) => {
    const { image, centre } = await stepCrop(digit);
    expect((await ocr.readLines(image, [centre], { invert: true, only: "0123456789" }))[0]?.text).toBe(digit);
  });

  it.each(["1", "7"])("reads the white digit %s on the dark disc", async (digit) => {
    const { image, centre } = await stepCrop(digit);
    expect((await ocr.readLines(image, [centre], { invert: true, only: "0123456789" }))[0]?.text).toBe(digit);
  });

  it("refuses to read within characters the recogniser does not know", async () => {
    const { image, centre } = await stepCrop("4");
    await expect(ocr.readLines(image, [centre], { invert: true, only: "☃" })).rejects.toThrow(/knows none of the characters/);
  });
});

describe("parseStepNumber", () => {
  it.each<[string, number]>([
    ["3", 3],
    [" 12 ", 12],
    ["①", 1],
    ["⑨", 9],
    ["⑳", 20],
  ])("reads %j as %d", (value, number) => {
    expect(parseStepNumber(value)).toBe(number);
  });

  it.each(["x", "123", "3a", "-1", "1.", "l"])("reads %j as no number", (value) => {
    expect(parseStepNumber(value)).toBeNaN();
  });

  it.each(["", " ", "①②"])("reads %j as no number", (value) => {
    expect(parseStepNumber(value)).toBeNaN();
  });
});

describe("ocrScale", () => {
  it("enlarges small images three times, middling ones to 1600 px, and leaves large ones", () => {
    expect(ocrScale(800)).toBe(3);
    expect(ocrScale(999)).toBe(3);
    expect(ocrScale(1000)).toBe(1.6);
    expect(ocrScale(1280)).toBe(1.25);
    expect(ocrScale(1600)).toBe(1);
    expect(ocrScale(3072)).toBe(1);
  });
});

describe("analysis budget and cancellation", () => {
  /** Random pixels: thousands of text-like specks for the detector. */
  const noisePng = () => sharp(randomBytes(600 * 550 * 3), { raw: { width: 600, height: 550, channels: 3 } }).png().toBuffer();

  it("reads every line of a diagram within a generous budget, and says nothing of a partial read", () => {
    expect(diagram.partialRead).toBeUndefined();
  });

  it(
    "stops at the line limit on a noise picture and records how much it read",
    async () => {
      const analysis = await analyzeImage(ocr, await noisePng(), { budget: { maxTextLines: 8, ocrMs: 60_000 } });
      expect(analysis.partialRead?.linesRead).toBe(8);
      expect(analysis.partialRead?.linesFound).toBeGreaterThan(100);
    },
    TIMEOUT,
  );

  it(
    "starts no recognition once the time budget is spent, and still answers with a layout",
    async () => {
      const analysis = await analyzeImage(ocr, await noisePng(), { budget: { maxTextLines: 10_000, ocrMs: 0 } });
      expect(analysis.partialRead).toMatchObject({ linesRead: 0 });
      expect(analysis.texts).toEqual([]);
      expect(analysis.layout).toBeDefined();
    },
    TIMEOUT,
  );

  it(
    "stops at its next stage when its signal aborts",
    async () => {
      const controller = new AbortController();
      const analysis = analyzeImage(ocr, await noisePng(), { signal: controller.signal });
      controller.abort(new Error("nobody waits"));
      await expect(analysis).rejects.toThrow("nobody waits");
    },
    TIMEOUT,
  );
});
