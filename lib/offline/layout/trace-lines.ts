import "server-only";
import { bottom, inflate, right } from "@/lib/offline/layout/geometry";
import type { Raster } from "@/lib/offline/layout/raster";
import type { Box } from "@/lib/offline/types";

/**
 * Follows connector lines through what splits or merges their ink: a line crossing another,
 * a dashed line's gaps, an elbow, a long curve. From a place where a line leaves a box, it walks
 * along the ink a few pixels at a time, keeping as straight on as the ink allows (so at a
 * crossing it goes across, not round the corner), turning where the line turns, jumping the gap
 * between dashes, until it arrives at another box.
 */

export interface LineEnd {
  node: number;
  x: number;
  y: number;
  /** The line's direction at this end, pointing away from the box (radians). */
  heading?: number;
}

export interface TracedLine {
  from: LineEnd;
  to: LineEnd;
}

export interface TraceInput {
  /** Line ink: 1 where a connector may be, boxes and text wiped out. */
  ink: Uint8Array;
  width: number;
  height: number;
  nodes: Box[];
  /** How far outside a box a line's end may stop. */
  reach: number;
  /** A box's border, wiped with it. */
  border: number;
  /** The pixels, where arrowheads are looked for. */
  raster?: Raster;
}

/** Pixels walked per step. */
const STEP = 5;
/** How far off straight on, in degrees, a line may bend in one step: curves, not corners. */
const BEND = 40;
/** An elbow: a right-angled turn, looked for only when straight on has no ink. */
const TURN = 95;
/** Gaps between dashes that a walk jumps, in pixels, straight on only. */
const GAPS = [10, 16, 22];
const GAP_CONE = 20;

/** The places where lines leave each box: runs of line ink in the ring just outside it. */
export function lineEnds(input: TraceInput): LineEnd[] {
  const { ink, width, height, nodes, reach, border } = input;
  const ends: LineEnd[] = [];
  const seen = new Uint8Array(width * height);
  nodes.forEach((node, index) => {
    const outer = inflate(node, reach);
    const inner = inflate(node, border);
    const inRing = (x: number, y: number) =>
      x >= Math.max(0, Math.floor(outer.x)) &&
      y >= Math.max(0, Math.floor(outer.y)) &&
      x < Math.min(width, Math.ceil(right(outer))) &&
      y < Math.min(height, Math.ceil(bottom(outer))) &&
      !(x >= inner.x && x < right(inner) && y >= inner.y && y < bottom(inner));
    const touched: number[] = [];
    for (let y = Math.max(0, Math.floor(outer.y)); y < Math.min(height, Math.ceil(bottom(outer))); y++) {
      for (let x = Math.max(0, Math.floor(outer.x)); x < Math.min(width, Math.ceil(right(outer))); x++) {
        const i = y * width + x;
        if (!inRing(x, y) || !ink[i] || seen[i]) continue;
        // One run of touching pixels is one line's end.
        let sx = 0, sy = 0, n = 0;
        const queue = [i];
        seen[i] = 1;
        touched.push(i);
        while (queue.length) {
          const p = queue.pop()!;
          const px = p % width;
          const py = (p - px) / width;
          sx += px;
          sy += py;
          n++;
          for (let dy = -1; dy <= 1; dy++) {
            for (let dx = -1; dx <= 1; dx++) {
              const qx = px + dx;
              const qy = py + dy;
              const q = qy * width + qx;
              if (!inRing(qx, qy) || !ink[q] || seen[q]) continue;
              seen[q] = 1;
              touched.push(q);
              queue.push(q);
            }
          }
        }
        if (n >= 3) ends.push({ node: index, x: sx / n, y: sy / n });
      }
    }
    // Rings of neighbouring boxes overlap: each box's ends are found in its own ring.
    for (const i of touched) seen[i] = 0;
  });
  return ends;
}

/** Walks from `start` along its line; the box it arrives at, or null where the line is lost. */
export function traceLine(input: TraceInput, start: LineEnd): LineEnd | null {
  const { ink, width, height, nodes, reach } = input;
  const isInk = (x: number, y: number) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    return xi >= 0 && yi >= 0 && xi < width && yi < height && ink[yi * width + xi] === 1;
  };
  const startBox = nodes[start.node]!;
  let heading = initialHeading(input, start, startBox);
  if (heading === null) return null;
  start.heading = heading;
  let x = start.x;
  let y = start.y;
  const maxSteps = Math.ceil((3 * (width + height)) / STEP);
  let left = false;
  for (let step = 0; step < maxSteps; step++) {
    const next = stepAlong(isInk, x, y, heading);
    if (!next) return null;
    [x, y, heading] = next;
    const near = (box: Box) => x >= box.x - reach && x < right(box) + reach && y >= box.y - reach && y < bottom(box) + reach;
    if (!near(startBox)) left = true;
    const arrived = nodes.findIndex((box, index) => index !== start.node && near(box));
    if (arrived >= 0) return { node: arrived, x, y, heading: heading + Math.PI };
    // A line that comes back to the box it left is no connection.
    if (left && near(startBox)) return null;
  }
  return null;
}

/** The line's direction as it leaves the box: towards the ink a little further out. */
function initialHeading(input: TraceInput, start: LineEnd, box: Box): number | null {
  const { ink, width, height } = input;
  let sx = 0, sy = 0, n = 0;
  for (let dy = -14; dy <= 14; dy++) {
    for (let dx = -14; dx <= 14; dx++) {
      const d2 = dx * dx + dy * dy;
      if (d2 < 36 || d2 > 196) continue;
      const px = Math.round(start.x + dx);
      const py = Math.round(start.y + dy);
      if (px < 0 || py < 0 || px >= width || py >= height || !ink[py * width + px]) continue;
      if (px >= box.x && px < right(box) && py >= box.y && py < bottom(box)) continue;
      const d = Math.sqrt(d2);
      sx += dx / d;
      sy += dy / d;
      n++;
    }
  }
  return n > 0 && Math.hypot(sx, sy) / n >= 0.4 ? Math.atan2(sy, sx) : null;
}

type IsInk = (x: number, y: number) => boolean;

/** One step: as straight on as the ink allows, else an elbow, else across a dash's gap. */
function stepAlong(isInk: IsInk, x: number, y: number, heading: number): [number, number, number] | null {
  for (const cone of [BEND, TURN]) {
    const angle = inkAngle(isInk, x, y, heading, STEP, cone);
    if (angle !== null) return [x + STEP * Math.cos(angle), y + STEP * Math.sin(angle), angle];
  }
  for (const gap of GAPS) {
    const angle = inkAngle(isInk, x, y, heading, gap, GAP_CONE);
    if (angle !== null) return [x + gap * Math.cos(angle), y + gap * Math.sin(angle), heading];
  }
  return null;
}

/**
 * The direction of the ink at `radius`, within `cone` degrees of `heading`: the run of inked
 * directions nearest straight on, averaged (the middle of the line, not its edge).
 */
function inkAngle(isInk: IsInk, x: number, y: number, heading: number, radius: number, cone: number): number | null {
  const STEP_DEGREES = 5;
  let best: { offset: number; sum: number; n: number } | null = null;
  // Offsets ordered by how far off straight on: 0, +5, -5, +10, -10, ...
  for (let k = 0; k <= cone; k += STEP_DEGREES) {
    for (const sign of k === 0 ? [1] : [1, -1]) {
      const offset = sign * k;
      const a = heading + (offset * Math.PI) / 180;
      if (!isInk(x + radius * Math.cos(a), y + radius * Math.sin(a))) continue;
      // Widen the run from here on both sides.
      let sum = offset;
      let n = 1;
      for (const dir of [1, -1]) {
        for (let o = offset + dir * STEP_DEGREES; Math.abs(o) <= cone; o += dir * STEP_DEGREES) {
          const b = heading + (o * Math.PI) / 180;
          if (!isInk(x + radius * Math.cos(b), y + radius * Math.sin(b))) break;
          sum += o;
          n++;
        }
      }
      best = { offset, sum, n };
      break;
    }
    if (best) break;
  }
  return best ? heading + (best.sum / best.n) * (Math.PI / 180) : null;
}

/** How much darker than the background a pixel of a drawn line is. */
const LINE_CONTRAST = 40;

/**
 * How wide the line is at `end`, just out from the box: the widest run of drawn pixels across
 * it, which an arrowhead makes several times a line's width. Measured on the pixels and on this
 * line alone: where several lines leave one point of a box (a fan) they part within a few
 * pixels, whereas a filled head stays one run.
 */
export function endWidth(input: TraceInput, end: LineEnd, box: Box): number {
  if (end.heading === undefined || !input.raster) return 0;
  const { rgb, width, height } = input.raster;
  const lum = (x: number, y: number) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return 255;
    const o = (yi * width + xi) * 3;
    return 0.299 * rgb[o]! + 0.587 * rgb[o + 1]! + 0.114 * rgb[o + 2]!;
  };
  const [ux, uy] = [Math.cos(end.heading), Math.sin(end.heading)];
  const [nx, ny] = [-uy, ux];
  // Where the line meets the box: the point of the box's outline nearest the end.
  const bx = Math.min(Math.max(end.x, box.x), right(box));
  const by = Math.min(Math.max(end.y, box.y), bottom(box));
  const background = lum(bx + 24 * ux + 12 * nx, by + 24 * uy + 12 * ny);
  const drawn = (x: number, y: number) => background - lum(x, y) >= LINE_CONTRAST;
  let widest = 0;
  for (let d = 3; d <= 12; d++) {
    const cx = bx + d * ux;
    const cy = by + d * uy;
    const centre = [0, 1, -1].find((o) => drawn(cx + o * nx, cy + o * ny));
    if (centre === undefined) continue;
    let run = 1;
    for (const dir of [1, -1]) {
      for (let o = centre + dir; Math.abs(o - centre) <= 12 && drawn(cx + o * nx, cy + o * ny); o += dir) run++;
    }
    widest = Math.max(widest, run);
  }
  return widest;
}
