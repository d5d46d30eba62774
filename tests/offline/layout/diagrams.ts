import sharp from "sharp";
import type { RawPixels } from "@/lib/offline/layout";
import type { TextBox } from "@/lib/offline/types";

/**
 * Small diagrams drawn on the spot for the layout tests: SVG shapes rendered by sharp, and the
 * text boxes an OCR would report for their labels, computed from where the SVG puts the text
 * (no OCR runs in these tests).
 */

export interface Label {
  text: string;
  /** SVG text anchor: left end of the baseline. */
  x: number;
  y: number;
  size?: number;
  colour?: string;
  weight?: "bold" | "normal";
}

export interface Diagram {
  width: number;
  height: number;
  /** SVG elements other than text. */
  shapes: string;
  labels: Label[];
}

const FONT = "DejaVu Sans, Arial, sans-serif";
/** DejaVu Sans averages a little over half an em per character. */
const CHAR_WIDTH = 0.58;

function svg(d: Diagram): string {
  const text = d.labels
    .map(
      (l) =>
        `<text x="${l.x}" y="${l.y}" font-family="${FONT}" font-size="${l.size ?? 16}" font-weight="${l.weight ?? "normal"}" fill="${l.colour ?? "#1f2933"}">${l.text.replace(/&/g, "&amp;")}</text>`,
    )
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${d.width}" height="${d.height}"><rect width="100%" height="100%" fill="#ffffff"/>${d.shapes}${text}</svg>`;
}

/** The diagram's RGB pixels, as sharp's `.raw()` hands them to the analyzer, at `width`. */
export async function render(d: Diagram, width = d.width): Promise<RawPixels> {
  const { data, info } = await sharp(Buffer.from(svg(d)), { density: (72 * width) / d.width })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** One OCR line per label, in the pixels of a rendering `width` wide. */
export function textBoxes(d: Diagram, width = d.width, skip: string[] = []): TextBox[] {
  const k = width / d.width;
  return d.labels
    .filter((l) => !skip.includes(l.text))
    .map((l) => {
      const size = l.size ?? 16;
      return {
        text: l.text,
        confidence: 0.98,
        box: { x: l.x * k, y: (l.y - 0.78 * size) * k, width: l.text.length * size * CHAR_WIDTH * k, height: size * k },
      };
    });
}

/** A component box with a thin grey border. */
export function box(x: number, y: number, w: number, h: number, fill = "#ffffff", stroke = "#90a4ae"): string {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="6" fill="${fill}" stroke="${stroke}" stroke-width="1.5"/>`;
}

/** A straight arrow with a filled head at (x2, y2). */
export function arrow(x1: number, y1: number, x2: number, y2: number): string {
  const a = Math.atan2(y2 - y1, x2 - x1);
  const head = (d: number, side: number) => `${x2 - 10 * Math.cos(a) + side * d * Math.sin(a)},${y2 - 10 * Math.sin(a) - side * d * Math.cos(a)}`;
  return `<line x1="${x1}" y1="${y1}" x2="${x2 - 8 * Math.cos(a)}" y2="${y2 - 8 * Math.sin(a)}" stroke="#455a64" stroke-width="2"/><polygon points="${x2},${y2} ${head(5, 1)} ${head(5, -1)}" fill="#455a64"/>`;
}

/** A numbered step marker: a dark disc with a white digit. */
export function stepCircle(cx: number, cy: number, digit: string): string {
  return `<circle cx="${cx}" cy="${cy}" r="12" fill="#263238"/><text x="${cx - 4.5}" y="${cy + 5}" font-family="${FONT}" font-size="14" font-weight="bold" fill="#ffffff">${digit}</text>`;
}
