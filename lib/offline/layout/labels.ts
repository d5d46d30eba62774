import "server-only";
import { bottom, centreX, right, scaleBox, spanOverlap, union } from "@/lib/offline/layout/geometry";
import { readingOrder } from "@/lib/offline/layout/order";
import type { Box, TextBox } from "@/lib/offline/types";

/** One OCR line in working pixels, with the OCR's own record kept for the notes. */
export interface Line {
  text: string;
  box: Box;
  source: TextBox;
}

/** Lines that read as one piece of text: a wrapped label, a two-line icon caption. */
export interface Block {
  lines: Line[];
  box: Box;
  text: string;
  /** Height of the tallest line: the font size, roughly. */
  lineHeight: number;
}

/** A step number the OCR did read ("3"), usually the digit inside a step circle. */
const STEP_DIGITS = /^\d{1,2}$/;

/**
 * Splits the OCR's lines into text and step digits, in working pixels. Lines without a letter
 * or digit, single stray letters (OCR noise on icons) and low-confidence reads are dropped.
 */
export function prepareLines(textBoxes: TextBox[], scale: number): { lines: Line[]; digits: Line[] } {
  const lines: Line[] = [];
  const digits: Line[] = [];
  for (const source of textBoxes) {
    const text = source.text.trim().replace(/\s+/g, " ");
    if (source.confidence < 0.5 || !/[\p{L}\p{N}]/u.test(text)) continue;
    const line = { text, box: scaleBox(source.box, scale), source };
    if (STEP_DIGITS.test(text)) digits.push(line);
    else if (text.length > 1) lines.push(line);
  }
  return { lines, digits };
}

/**
 * Groups lines into blocks: a line joins a block when it sits right under it (gap below less
 * than a line) and overlaps it horizontally, or right beside it on the same baseline.
 */
export function groupBlocks(lines: Line[]): Block[] {
  const sorted = [...lines].sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x);
  const blocks: Block[] = [];
  for (const line of sorted) {
    const h = line.box.height;
    const block = blocks.find((b) => {
      const last = b.lines[b.lines.length - 1]!;
      const lh = Math.min(h, last.box.height);
      const similar = Math.max(h, last.box.height) <= 1.6 * lh;
      const below = line.box.y - bottom(last.box);
      // The gap is measured against the taller line: OCR boxes hug the glyphs, so a line
      // without descenders looks shorter than its neighbour and the usual leading looks wide.
      const stacked =
        below >= -0.3 * lh &&
        below <= 0.9 * Math.max(h, last.box.height) &&
        (spanOverlap(b.box.x, right(b.box), line.box.x, right(line.box)) >= 0.3 ||
          Math.abs(centreX(b.box) - centreX(line.box)) <= 0.25 * Math.max(b.box.width, line.box.width));
      const beside =
        spanOverlap(last.box.y, bottom(last.box), line.box.y, bottom(line.box)) >= 0.6 &&
        line.box.x - right(last.box) <= 0.6 * lh &&
        line.box.x - right(last.box) >= -0.3 * lh;
      return similar && (stacked || beside);
    });
    if (block) {
      block.lines.push(line);
      block.box = union(block.box, line.box);
      block.lineHeight = Math.max(block.lineHeight, h);
    } else {
      blocks.push({ lines: [line], box: line.box, text: "", lineHeight: h });
    }
  }
  for (const b of blocks) b.text = readingText(b.lines);
  return blocks;
}

/** The lines' text in reading order, joined with spaces. */
export function readingText(lines: Line[]): string {
  return readingOrder(lines, (l) => l.box)
    .map((l) => l.text)
    .join(" ");
}
