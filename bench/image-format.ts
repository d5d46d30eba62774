/**
 * Which format should the server use when it sends a prepared image to the model?
 *
 * Every input goes through the server's preparation (auto-orient, flatten, long edge <= 3072 px,
 * never upscaled) into a raw 8-bit sRGB buffer: the reference. Each candidate encoding is then
 * timed on that buffer and decoded back, and the result is compared with the reference:
 *   - PSNR over all RGB samples;
 *   - edge-PSNR: PSNR over the pixels where the reference's luma gradient is strongest, because
 *     ringing and blur around glyph strokes is what makes small diagram text illegible, and
 *     whole-image PSNR hides it behind large flat backgrounds.
 *
 * Run from the project root: npx tsx bench/image-format.ts
 * Markdown goes to stdout and to bench/results/image-format.md; progress goes to stderr.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import sharp, { type Sharp } from "sharp";
import { seededRandom } from "@/tests/helpers/random";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIXTURE_DIRS = ["synthetic", "real"].map((sub) =>
  path.resolve(PROJECT_ROOT, "../shared/fixtures/diagrams", sub),
);
const RESULTS_FILE = path.join(PROJECT_ROOT, "bench/results/image-format.md");

/** Same cap as the server: long edge at most this many pixels. */
const MAX_EDGE_PX = 3072;
const TIMING_RUNS = 3;
/** Share of pixels (by Sobel magnitude, strongest first) that count as edge pixels. */
const EDGE_SHARE = 0.1;
/**
 * Minimum Sobel magnitude for an edge pixel. A clean step of h grey levels gives 4h, so 64 is a
 * 16-level step. Diagrams are mostly flat background, with few of their pixels on edges (the
 * "edge pixels" column of bench/results/image-format.md): without this floor the "top 10 %"
 * would be padded with JPEG noise in flat areas.
 */
const EDGE_MIN_MAGNITUDE = 64;

type ImageKind = "diagram" | "photo" | "screenshot";

/** A prepared image: 3 channels, 8-bit sRGB, row-major, no padding. */
interface PreparedImage {
  name: string;
  kind: ImageKind;
  sourceWidth: number;
  sourceHeight: number;
  width: number;
  height: number;
  rgb: Buffer;
  /** Pixel indices (y * width + x) of the reference's edge pixels. */
  edgePixels: Uint32Array;
}

interface Encoding {
  name: string;
  apply: (pipeline: Sharp) => Sharp;
}

interface Measurement {
  image: PreparedImage;
  encoding: Encoding;
  bytes: number;
  encodeMs: number;
  psnr: number;
  edgePsnr: number;
}

const ENCODINGS: Encoding[] = [
  { name: "PNG lossless (lvl 9, adaptive)", apply: (p) => p.png({ compressionLevel: 9, adaptiveFiltering: true }) },
  { name: "PNG lossless (lvl 6)", apply: (p) => p.png({ compressionLevel: 6 }) },
  { name: "PNG palette 256", apply: (p) => p.png({ palette: true, colours: 256, compressionLevel: 9 }) },
  // chromaSubsampling 4:4:4 keeps coloured text and thin coloured lines sharp; mozjpeg adds
  // trellis quantisation, overshoot deringing and progressive scans.
  ...[85, 90, 95].map((quality) => ({
    name: `JPEG q${quality} (mozjpeg, 4:4:4)`,
    apply: (p: Sharp) => p.jpeg({ quality, mozjpeg: true, chromaSubsampling: "4:4:4" }),
  })),
  // libwebp's lossy mode is always 4:2:0; there is no 4:4:4 option to match the JPEGs.
  { name: "WebP q90", apply: (p) => p.webp({ quality: 90 }) },
  { name: "WebP lossless", apply: (p) => p.webp({ lossless: true }) },
];
const BASELINE = ENCODINGS[0]!;

async function main(): Promise<void> {
  // Every timing run must really encode, never be answered from libvips' operation cache.
  sharp.cache(false);

  const images: PreparedImage[] = [];
  for (const dir of FIXTURE_DIRS) {
    for (const file of await listImageFiles(dir)) {
      images.push(await prepare(path.basename(file), "diagram", sharp(file)));
    }
  }
  images.push(await prepare("synthetic photo", "photo", photoLike()));
  images.push(await prepare("synthetic screenshot", "screenshot", screenshotLike()));

  const measurements: Measurement[] = [];
  for (const image of images) {
    process.stderr.write(`measuring ${image.name} (${image.width}x${image.height})\n`);
    for (const encoding of ENCODINGS) {
      measurements.push(await measure(image, encoding));
    }
  }

  const markdown = report(images, measurements);
  process.stdout.write(markdown);
  await mkdir(path.dirname(RESULTS_FILE), { recursive: true });
  await writeFile(RESULTS_FILE, markdown);
  process.stderr.write(`wrote ${path.relative(PROJECT_ROOT, RESULTS_FILE)}\n`);
}

/** PNG and JPEG files in `dir`, sorted; none (with a message) when the folder is missing. */
async function listImageFiles(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names
      .filter((name) => /\.(png|jpe?g)$/i.test(name))
      .sort()
      .map((name) => path.join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    process.stderr.write(`skipping ${dir}: folder not found\n`);
    return [];
  }
}

/**
 * The server's preparation. Transparency is flattened onto white: JPEG cannot carry alpha, and
 * a diagram with a transparent background is drawn to be read on white.
 */
async function prepare(name: string, kind: ImageKind, input: Sharp): Promise<PreparedImage> {
  const source = await input.clone().metadata();
  const { data, info } = await input
    .autoOrient()
    .flatten({ background: "#ffffff" })
    .resize({ width: MAX_EDGE_PX, height: MAX_EDGE_PX, fit: "inside", withoutEnlargement: true })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${name}: expected 3 channels, got ${info.channels}`);
  return {
    name,
    kind,
    sourceWidth: source.autoOrient.width,
    sourceHeight: source.autoOrient.height,
    width: info.width,
    height: info.height,
    rgb: data,
    edgePixels: edgePixels(data, info.width, info.height),
  };
}

async function measure(image: PreparedImage, encoding: Encoding): Promise<Measurement> {
  const raw = { raw: { width: image.width, height: image.height, channels: 3 as const } };
  const timings: number[] = [];
  let encoded = Buffer.alloc(0);
  for (let run = 0; run < TIMING_RUNS; run++) {
    const start = performance.now();
    encoded = await encoding.apply(sharp(image.rgb, raw)).toBuffer();
    timings.push(performance.now() - start);
  }

  const { data, info } = await sharp(encoded)
    .removeAlpha()
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  if (info.width !== image.width || info.height !== image.height || info.channels !== 3) {
    throw new Error(`${image.name} / ${encoding.name}: decoded to ${info.width}x${info.height}x${info.channels}`);
  }
  return {
    image,
    encoding,
    bytes: encoded.length,
    encodeMs: median(timings),
    psnr: psnr(image.rgb, data),
    edgePsnr: psnr(image.rgb, data, image.edgePixels),
  };
}

/**
 * The strongest-gradient pixels of an RGB image: the top EDGE_SHARE by Sobel magnitude of
 * Rec. 709 luma, but never weaker than EDGE_MIN_MAGNITUDE. The 1-pixel border is left out.
 */
function edgePixels(rgb: Buffer, width: number, height: number): Uint32Array {
  const luma = new Float32Array(width * height);
  for (let i = 0; i < luma.length; i++) {
    luma[i] = 0.2126 * rgb[3 * i]! + 0.7152 * rgb[3 * i + 1]! + 0.0722 * rgb[3 * i + 2]!;
  }

  // Magnitudes rounded to integers (at most 4 * 255 * sqrt 2 ≈ 1443), so a histogram gives
  // the percentile threshold without sorting millions of values.
  const magnitude = new Uint16Array(width * height);
  const histogram = new Uint32Array(1444);
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const nw = luma[i - width - 1]!, n = luma[i - width]!, ne = luma[i - width + 1]!;
      const w = luma[i - 1]!, e = luma[i + 1]!;
      const sw = luma[i + width - 1]!, s = luma[i + width]!, se = luma[i + width + 1]!;
      const gx = ne + 2 * e + se - (nw + 2 * w + sw);
      const gy = sw + 2 * s + se - (nw + 2 * n + ne);
      const m = Math.round(Math.hypot(gx, gy));
      magnitude[i] = m;
      histogram[m]!++;
    }
  }

  // Lowest threshold that keeps the selection within EDGE_SHARE of the interior pixels.
  const budget = EDGE_SHARE * (width - 2) * (height - 2);
  let threshold = histogram.length;
  for (let selected = 0; threshold > 0 && selected + histogram[threshold - 1]! <= budget; ) {
    threshold--;
    selected += histogram[threshold]!;
  }
  threshold = Math.max(threshold, EDGE_MIN_MAGNITUDE);

  const indices: number[] = [];
  for (let i = 0; i < magnitude.length; i++) {
    if (magnitude[i]! >= threshold) indices.push(i);
  }
  return Uint32Array.from(indices);
}

/** PSNR in dB over all RGB samples, or over the given pixels only; Infinity when identical. */
function psnr(reference: Buffer, decoded: Buffer, pixels?: Uint32Array): number {
  let sumSquares = 0;
  let samples = 0;
  const add = (pixel: number) => {
    for (let c = 3 * pixel; c < 3 * pixel + 3; c++) {
      const diff = reference[c]! - decoded[c]!;
      sumSquares += diff * diff;
    }
    samples += 3;
  };
  if (pixels) pixels.forEach(add);
  else for (let pixel = 0; pixel < reference.length / 3; pixel++) add(pixel);
  if (samples === 0) return Number.NaN;
  return sumSquares === 0 ? Infinity : 10 * Math.log10((255 * 255 * samples) / sumSquares);
}

/**
 * 2400x1600 stand-in for a photo: smooth colour gradients, a few soft-edged discs (so the edge
 * metric has real contours to look at) and Gaussian sensor-like noise, which is what makes
 * photos expensive for lossless formats.
 */
function photoLike(): Sharp {
  const width = 2400;
  const height = 1600;
  const random = seededRandom(1);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const discs = Array.from({ length: 6 }, () => ({
    cx: random() * width,
    cy: random() * height,
    radius: 120 + random() * 280,
    colour: [random() * 255, random() * 255, random() * 255],
  }));

  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const pixel = [
        110 + 70 * Math.sin(x / 410 + y / 650),
        120 + 60 * Math.cos(x / 530 - y / 380),
        100 + 80 * Math.sin((x + y) / 700),
      ];
      for (const disc of discs) {
        // Alpha falls from 1 to 0 over ~4 px at the rim: a lens-softened contour.
        const alpha = Math.min(1, Math.max(0, (disc.radius - Math.hypot(x - disc.cx, y - disc.cy)) / 4));
        for (let c = 0; c < 3; c++) pixel[c] = pixel[c]! * (1 - alpha) + disc.colour[c]! * alpha;
      }
      // Mostly luminance noise with a little per-channel chroma noise, like a camera sensor.
      const shared = 5 * gaussian();
      for (let c = 0; c < 3; c++) {
        // Clamp explicitly: storing into a Buffer wraps out-of-range values instead.
        rgb[3 * (y * width + x) + c] = Math.max(0, Math.min(255, Math.round(pixel[c]! + shared + 2 * gaussian())));
      }
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } });
}

/** 1920x1080 stand-in for a screenshot of a dashboard: chrome, a dense table and a code panel. */
function screenshotLike(): Sharp {
  const random = seededRandom(2);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const text = (x: number, y: number, size: number, fill: string, content: string, extra = "") =>
    `<text x="${x}" y="${y}" font-size="${size}" fill="${fill}" ${extra}>${content}</text>`;

  const services = ["api-gateway", "auth-service", "orders", "payments", "inventory", "search",
    "recommendations", "notifications", "billing", "user-profile", "cart", "shipping"];
  const regions = ["eu-west-1", "us-east-1", "ap-south-1", "eu-central-1"];
  const statuses = [
    { label: "healthy", colour: "#1a7f37" },
    { label: "degraded", colour: "#9a6700" },
    { label: "down", colour: "#cf222e" },
  ];

  const parts: string[] = [
    `<rect width="1920" height="1080" fill="#ffffff"/>`,
    `<rect width="1920" height="48" fill="#24292f"/>`,
    text(20, 31, 16, "#ffffff", "Cluster Console", `font-weight="bold"`),
    ...["Overview", "Services", "Deployments", "Logs", "Alerts", "Settings"].map((label, i) =>
      text(220 + i * 110, 30, 13, "#d0d7de", label)),
    `<rect y="48" width="260" height="1032" fill="#f6f8fa"/>`,
  ];
  for (let i = 0; i < 40; i++) {
    parts.push(text(24, 80 + i * 24, 12, "#57606a", `${pick(services)} / ${pick(regions)}`));
  }

  const columns = [
    { title: "Service", x: 290 },
    { title: "Region", x: 440 },
    { title: "Status", x: 560 },
    { title: "p95 latency", x: 660 },
    { title: "Requests/s", x: 770 },
    { title: "Version", x: 870 },
  ];
  parts.push(`<rect x="280" y="64" width="700" height="28" fill="#eaeef2"/>`);
  columns.forEach((col) => parts.push(text(col.x, 83, 12, "#24292f", col.title, `font-weight="bold"`)));
  for (let row = 0; row < 40; row++) {
    const y = 110 + row * 24;
    const status = pick(statuses);
    if (row % 2 === 1) parts.push(`<rect x="280" y="${y - 16}" width="700" height="24" fill="#f6f8fa"/>`);
    parts.push(
      text(columns[0]!.x, y, 12, "#0969da", pick(services)),
      text(columns[1]!.x, y, 12, "#24292f", pick(regions)),
      `<circle cx="${columns[2]!.x + 4}" cy="${y - 4}" r="4" fill="${status.colour}"/>`,
      text(columns[2]!.x + 14, y, 12, status.colour, status.label),
      text(columns[3]!.x, y, 12, "#24292f", `${Math.round(20 + random() * 900)} ms`),
      text(columns[4]!.x, y, 12, "#24292f", (random() * 5000).toFixed(1)),
      text(columns[5]!.x, y, 12, "#57606a", `v1.${Math.floor(random() * 40)}.${Math.floor(random() * 10)}`),
    );
  }

  parts.push(`<rect x="1000" y="64" width="900" height="996" fill="#0d1117"/>`);
  const keywords = ["const", "await", "return", "if", "export", "function"];
  const identifiers = ["request", "response", "config", "retries", "timeoutMs", "client", "span"];
  for (let line = 0; line < 62; line++) {
    const y = 84 + line * 16;
    const indent = 2 * Math.floor(random() * 4);
    parts.push(
      text(1036, y, 11, "#6e7681", String(line + 1), `font-family="DejaVu Sans Mono, monospace" text-anchor="end"`),
      `<text x="${1050 + indent * 7}" y="${y}" font-size="12" font-family="DejaVu Sans Mono, monospace">` +
        `<tspan fill="#ff7b72">${pick(keywords)}</tspan> <tspan fill="#d2a8ff">${pick(identifiers)}</tspan> ` +
        `<tspan fill="#c9d1d9">= ${pick(identifiers)}.${pick(identifiers)}(</tspan>` +
        `<tspan fill="#a5d6ff">"${pick(services)}"</tspan><tspan fill="#c9d1d9">, ${Math.floor(random() * 1000)});</tspan></text>`,
    );
  }

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1920" height="1080" ` +
    `font-family="DejaVu Sans, Liberation Sans, sans-serif">${parts.join("")}</svg>`;
  return sharp(Buffer.from(svg));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmtDb = (db: number) => (db === Infinity ? "∞" : db.toFixed(2));
const fmtKiB = (bytes: number) => (bytes / 1024).toFixed(1);
const fmtBitsPerPixel = (bytes: number, image: PreparedImage) => ((8 * bytes) / (image.width * image.height)).toFixed(2);
const fmtRatio = (ratio: number) => `${ratio.toFixed(3)}×`;
const fmtMs = (ms: number) => ms.toFixed(1);

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n") + "\n";
}

/** Bytes of each measurement relative to the PNG lossless baseline of the same image. */
function relativeBytes(measurements: Measurement[]): Map<Measurement, number> {
  const baseline = new Map(
    measurements.filter((m) => m.encoding === BASELINE).map((m) => [m.image, m.bytes]),
  );
  return new Map(measurements.map((m) => [m, m.bytes / baseline.get(m.image)!]));
}

function summary(measurements: Measurement[], relative: Map<Measurement, number>): string {
  const rows = ENCODINGS.map((encoding) => {
    const ms = measurements.filter((m) => m.encoding === encoding);
    return [
      encoding.name,
      fmtRatio(median(ms.map((m) => relative.get(m)!))),
      fmtDb(median(ms.map((m) => m.psnr))),
      fmtDb(median(ms.map((m) => m.edgePsnr))),
      fmtDb(Math.min(...ms.map((m) => m.edgePsnr))),
      fmtMs(median(ms.map((m) => m.encodeMs))),
    ];
  });
  return table(
    ["encoding", "median bytes vs PNG lossless", "median PSNR dB", "median edge-PSNR dB", "worst edge-PSNR dB", "median encode ms"],
    rows,
  );
}

function report(images: PreparedImage[], measurements: Measurement[]): string {
  const relative = relativeBytes(measurements);
  const diagrams = measurements.filter((m) => m.image.kind === "diagram");
  const sections = [
    "# Image format for prepared uploads\n",
    `Reference: decoded, auto-oriented, flattened on white, long edge ≤ ${MAX_EDGE_PX} px. ` +
      `Encode time: median of ${TIMING_RUNS} runs from the raw reference (sharp ${sharp.versions.sharp}, ` +
      `libvips ${sharp.versions.vips}, libvips threads: ${sharp.concurrency()}). Edge-PSNR: RGB PSNR over the top ` +
      `${EDGE_SHARE * 100} % of pixels by Sobel magnitude of the reference's luma (magnitude ≥ ${EDGE_MIN_MAGNITUDE}). ` +
      "∞ = bit-exact.\n",
    `## Summary, all ${images.length} images\n`,
    summary(measurements, relative),
  ];
  if (diagrams.length > 0) {
    sections.push(`## Summary, diagrams only (${diagrams.length / ENCODINGS.length} images)\n`, summary(diagrams, relative));
  }
  sections.push(
    "## Inputs\n",
    table(
      ["image", "kind", "source px", "prepared px", "edge pixels"],
      images.map((img) => [
        img.name,
        img.kind,
        `${img.sourceWidth}x${img.sourceHeight}`,
        `${img.width}x${img.height}`,
        `${((100 * img.edgePixels.length) / (img.width * img.height)).toFixed(1)} %`,
      ]),
    ),
    "## Every image × encoding\n",
    table(
      ["image", "encoding", "KiB", "bits/px", "vs PNG lossless", "encode ms", "PSNR dB", "edge-PSNR dB"],
      measurements.map((m) => [
        m.image.name,
        m.encoding.name,
        fmtKiB(m.bytes),
        fmtBitsPerPixel(m.bytes, m.image),
        fmtRatio(relative.get(m)!),
        fmtMs(m.encodeMs),
        fmtDb(m.psnr),
        fmtDb(m.edgePsnr),
      ]),
    ),
  );
  return sections.join("\n");
}

await main();
