import sharp from "sharp";
import { concepts } from "@/lib/offline/catalog/catalog";
import { seededRandom } from "@/tests/helpers/random";

/**
 * Architecture diagrams drawn from a seed, for calibrating the int8 recogniser: what it must read
 * well, made here so that the calibration owes nothing to the evaluation fixtures. Each has a
 * title, tinted groups with bold titles, components labelled with catalogue names in 10–26 px
 * (dark on light, and white on saturated fills), labelled arrows, numbered steps and a footnote.
 * Each diagram comes at 1600 px, at 800 px (which the OCR reads enlarged ×3) and as a 1280 px
 * JPEG at quality 70.
 */

const WIDTH = 1600;
const HEIGHT = 900;
const FONTS = ["DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "DejaVu Sans Condensed"];
const TINTS = ["#e3f2fd", "#e8f5e9", "#fff3e0", "#f3e5f5", "#eceff1", "#fffde7"];
const FILLS = ["#1565c0", "#2e7d32", "#c62828", "#37474f", "#6a1b9a", "#ef6c00"];
const INKS = ["#1f2933", "#000000", "#37474f", "#0d47a1"];
const GROUP_TITLES = ["Ingestion", "Processing", "Storage", "Serving", "Monitoring", "Security", "Analytics", "ML Platform", "Edge Services", "Data Tier"];
const EDGE_LABELS = ["HTTPS", "events", "gRPC", "batch", "JDBC", "REST API", "pub/sub", "logs", "metrics", "S3 sync", "webhooks"];

export interface CalibrationImage {
  name: string;
  /** The encoded image, PNG or JPEG, as an upload would bring it. */
  image: Buffer;
}

export async function calibrationImages(count: number, seed = 1): Promise<CalibrationImage[]> {
  const images: CalibrationImage[] = [];
  for (let index = 0; index < count; index++) {
    const svg = Buffer.from(diagramSvg(seededRandom(seed * 1000 + index)));
    const full = await sharp(svg).flatten({ background: "#ffffff" }).png().toBuffer();
    images.push(
      { name: `diagram-${index}-1600`, image: full },
      { name: `diagram-${index}-800`, image: await sharp(full).resize({ width: 800 }).png().toBuffer() },
      { name: `diagram-${index}-1280j`, image: await sharp(full).resize({ width: 1280 }).jpeg({ quality: 70 }).toBuffer() },
    );
  }
  return images;
}

function diagramSvg(random: () => number): string {
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (low: number, high: number) => low + random() * (high - low);
  const font = pick(FONTS);
  const text = (x: number, y: number, value: string, size: number, fill: string, weight = "normal", anchor = "start") =>
    `<text x="${x.toFixed(0)}" y="${y.toFixed(0)}" font-family="${font}" font-size="${size.toFixed(0)}" font-weight="${weight}" fill="${fill}" text-anchor="${anchor}">${escape(value)}</text>`;
  const label = () => {
    const concept = pick(concepts);
    return concept.aliases.length && random() < 0.4 ? pick(concept.aliases) : concept.name;
  };

  const parts: string[] = [`<rect width="100%" height="100%" fill="${random() < 0.8 ? "#ffffff" : "#f5f7fa"}"/>`];
  parts.push(text(60, 60, `${pick(concepts).name} ${pick(["Platform", "Architecture", "Pipeline", "Reference Design"])}`, between(26, 40), pick(INKS), "bold"));

  const groups = 2 + Math.floor(random() * 3);
  const groupWidth = (WIDTH - 120 - (groups - 1) * 40) / groups;
  const boxes: Array<{ x: number; y: number; width: number; height: number }> = [];
  for (let group = 0; group < groups; group++) {
    const x = 60 + group * (groupWidth + 40);
    const [y, height] = [110, HEIGHT - 200];
    parts.push(`<rect x="${x}" y="${y}" width="${groupWidth}" height="${height}" rx="8" fill="${pick(TINTS)}" stroke="#90a4ae" stroke-width="2"/>`);
    parts.push(text(x + 20, y + 36, pick(GROUP_TITLES), between(16, 26), pick(INKS), "bold"));
    const columns = Math.max(1, Math.floor(groupWidth / 220));
    const rows = 2 + Math.floor(random() * 5);
    const [cellWidth, cellHeight] = [(groupWidth - 40) / columns, (height - 70) / rows];
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        if (random() < 0.15) continue;
        const size = between(10, 24);
        const name = label();
        const filled = random() < 0.3;
        const box = { x: x + 30 + column * cellWidth, y: y + 60 + row * cellHeight, width: 0, height: Math.min(cellHeight - 14, size * 2.4) };
        box.width = Math.min(cellWidth - 20, name.length * size * 0.62 + 30);
        parts.push(`<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="6" fill="${filled ? pick(FILLS) : "#ffffff"}" stroke="#607d8b" stroke-width="2"/>`);
        parts.push(text(box.x + 15, box.y + box.height / 2 + size * 0.35, name, size, filled ? "#ffffff" : pick(INKS), random() < 0.2 ? "bold" : "normal"));
        if (random() < 0.25) {
          parts.push(`<circle cx="${box.x - 4}" cy="${box.y}" r="12" fill="#263238"/>`);
          parts.push(text(box.x - 4, box.y + 5, String(boxes.length + 1), 14, "#ffffff", "bold", "middle"));
        }
        boxes.push(box);
      }
    }
  }
  // Arrows from a box to the next one drawn, labelled halfway.
  for (let index = 0; index < boxes.length - 1; index++) {
    if (random() < 0.5) continue;
    const [from, to] = [boxes[index]!, boxes[index + 1]!];
    const [x1, y1, x2, y2] = [from.x + from.width, from.y + from.height / 2, to.x, to.y + to.height / 2];
    parts.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#455a64" stroke-width="2"/>`);
    if (random() < 0.5) parts.push(text((x1 + x2) / 2 + 6, (y1 + y2) / 2 - 6, pick(EDGE_LABELS), between(10, 14), pick(INKS)));
  }
  parts.push(text(60, HEIGHT - 40, `Note: ${label()} and ${label()} run in ${pick(["us-east-1", "westeurope", "asia-south1"])}.`, between(11, 16), "#546e7a"));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}">${parts.join("")}</svg>`;
}

function escape(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
