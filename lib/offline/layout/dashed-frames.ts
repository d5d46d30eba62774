import "server-only";
import { coverage } from "@/lib/offline/layout/geometry";
import { findRectangles, type RectangleOptions } from "@/lib/offline/layout/rectangles";
import type { Box } from "@/lib/offline/types";

/**
 * Boxes drawn with dashed or dotted sides (system boundaries, optional groups), which the
 * rectangle search rejects for their gaps: found in a copy of the ink mask where short dashes
 * in a row or column are joined across short gaps, and kept when each side, in the real mask,
 * really is a row of dashes. Long lines are never joined, so two solid boxes side by side do not
 * merge into one.
 */
export function findDashedFrames(mask: Uint8Array, width: number, height: number, known: Box[], opts: RectangleOptions): Box[] {
  const joined = joinDashes(mask, width, height);
  return findRectangles(joined, width, height, opts).filter(
    (box) => !known.some((k) => coverage(box, k) > 0.9 && coverage(k, box) > 0.9) && isDashedFrame(mask, width, height, box),
  );
}

/** The longest gap between two dashes that is joined, in working pixels. */
const MAX_GAP = 9;
/** The longest run of ink that still counts as a dash (a solid side is far longer). */
const MAX_DASH = 24;

function joinDashes(mask: Uint8Array, width: number, height: number): Uint8Array {
  const joined = mask.slice();
  const scan = (lines: number, length: number, at: (line: number, k: number) => number) => {
    for (let line = 0; line < lines; line++) {
      let runStart = -1;
      let previousEnd = -1;
      let previousLength = Infinity;
      for (let k = 0; k <= length; k++) {
        const ink = k < length && mask[at(line, k)] === 1;
        if (ink && runStart < 0) runStart = k;
        if (!ink && runStart >= 0) {
          const runLength = k - runStart;
          const gap = runStart - previousEnd;
          if (previousEnd >= 0 && gap <= MAX_GAP && runLength <= MAX_DASH && previousLength <= MAX_DASH) {
            for (let g = previousEnd; g < runStart; g++) joined[at(line, g)] = 1;
          }
          previousEnd = k;
          previousLength = runLength;
          runStart = -1;
        }
      }
    }
  };
  scan(height, width, (y, x) => y * width + x);
  scan(width, height, (x, y) => y * width + x);
  return joined;
}

/** Along each side, several dashes with gaps between: ink on a quarter to nine tenths of it. */
function isDashedFrame(mask: Uint8Array, width: number, height: number, box: Box): boolean {
  const left = Math.round(box.x);
  const top = Math.round(box.y);
  const right = Math.round(box.x + box.width);
  const bottom = Math.round(box.y + box.height);
  const inkAt = (x: number, y: number) => {
    for (let d = -2; d <= 2; d++) {
      const [px, py] = x === left || x === right ? [x + d, y] : [x, y + d];
      if (px >= 0 && py >= 0 && px < width && py < height && mask[py * width + px]) return true;
    }
    return false;
  };
  const sides: Array<Array<[number, number]>> = [
    range(left + 6, right - 6).map((x) => [x, top]),
    range(left + 6, right - 6).map((x) => [x, bottom]),
    range(top + 6, bottom - 6).map((y) => [left, y]),
    range(top + 6, bottom - 6).map((y) => [right, y]),
  ];
  return sides.every((points) => {
    let inked = 0;
    let runs = 0;
    let previous = false;
    for (const [x, y] of points) {
      const ink = inkAt(x, y);
      if (ink) inked++;
      if (ink && !previous) runs++;
      previous = ink;
    }
    const share = inked / Math.max(1, points.length);
    return runs >= 3 && share >= 0.25 && share <= 0.9;
  });
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let k = from; k <= to; k++) out.push(k);
  return out;
}
