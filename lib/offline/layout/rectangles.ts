import "server-only";
import type { Box } from "@/lib/offline/types";

/**
 * Finds the drawn rectangles of a diagram (group boxes, component boxes, filled tiles) in the
 * ink mask. Arrows that cross a group box cut its inside into pieces, so the inside alone does
 * not show the box; the four sides do. The search:
 *   1. thin ink: ink in a run across the line direction no longer than a border is thick, so
 *      text blobs and filled icons drop out and borders, fill edges and arrows stay;
 *   2. axis-aligned segments of thin ink, bridging the places where another line crosses;
 *   3. a corner wherever a horizontal and a vertical segment end near each other (rounded
 *      corners leave both ends short of the corner by the radius), which proposes a rectangle
 *      from the two segments' lengths;
 *   4. each proposal is kept only if all four sides are drawn: thin ink along at least half of
 *      each side (an icon close to a border or an arrowhead on it makes the ink there thick)
 *      and no blank stretch, so a row of separate boxes never reads as one long box.
 */

/** Thickest border (in ink pixels, edges on both sides included) still read as a line. */
const THIN = 7;
/** Ink that may interrupt a side where another line crosses or an arrowhead touches it. */
const CROSSING = 12;
/** Blank pixels tolerated inside a side: the gaps of a dashed border, anti-aliasing holes. */
const BLANK = 4;
/** Longest stretch of a side that text may hide. */
const MAX_HIDDEN = 48;
/** Shortest segment considered. */
const MIN_SEGMENT = 8;
/** Largest corner radius (working pixels) and the slack around a corner. */
const MAX_RADIUS = 40;
const SLACK = 4;

/** One axis-aligned run of thin ink: along [a0, a1], across [c0, c1]. */
interface Segment {
  a0: number;
  a1: number;
  c0: number;
  c1: number;
}

function mid(s: Segment): number {
  return (s.c0 + s.c1) / 2;
}

export interface RectangleOptions {
  minWidth: number;
  minHeight: number;
  /**
   * Where text sits. An arrow label's white backdrop often hides a stretch of the group border
   * it straddles; under text a side may be missing without the rectangle being rejected.
   */
  occluders: Box[];
}

export function findRectangles(mask: Uint8Array, width: number, height: number, opts: RectangleOptions): Box[] {
  const hidden = occlusionMask(opts.occluders, width, height);
  const thinH = thinInk(mask, hidden, width, height, true);
  const thinV = thinInk(mask, hidden, width, height, false);
  const hs = segments(thinH, mask, hidden, width, height, true);
  const vs = segments(thinV, mask, hidden, width, height, false);
  const verifier = new SideVerifier(mask, hidden, thinH, thinV, width, height);
  const seen = new Set<string>();
  const found: Box[] = [];
  for (const proposal of proposeFromCorners(hs, vs)) {
    const { left, top, right, bottom, radius } = proposal;
    if (right - left < opts.minWidth || bottom - top < opts.minHeight) continue;
    if (left < 0 || top < 0 || right >= width || bottom >= height) continue;
    const key = `${left},${top},${right},${bottom}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const box = verifier.verify(left, top, right, bottom, radius);
    if (box) found.push(box);
  }
  return dedupe(found);
}

function occlusionMask(boxes: Box[], width: number, height: number): Uint8Array {
  const hidden = new Uint8Array(width * height);
  for (const b of boxes) {
    const x0 = Math.max(0, Math.floor(b.x) - 2);
    const x1 = Math.min(width, Math.ceil(b.x + b.width) + 2);
    for (let y = Math.max(0, Math.floor(b.y) - 2); y < Math.min(height, Math.ceil(b.y + b.height) + 2); y++) {
      hidden.fill(1, y * width + x0, y * width + x1);
    }
  }
  return hidden;
}

/**
 * Ink pixels whose run across the line direction is short: for horizontal lines the vertical
 * run through the pixel, for vertical lines the horizontal run. Letters are thin strokes too,
 * and their tops, baselines and stems would line up into segments: ink under text is left out.
 */
function thinInk(mask: Uint8Array, hidden: Uint8Array, width: number, height: number, horizontal: boolean): Uint8Array {
  const thin = new Uint8Array(width * height);
  // Scan across the lines: down each column for horizontal lines, along each row for vertical.
  const lines = horizontal ? width : height;
  const length = horizontal ? height : width;
  const stride = horizontal ? width : 1;
  for (let u = 0; u < lines; u++) {
    const base = horizontal ? u : u * width;
    let start = -1;
    for (let v = 0; v <= length; v++) {
      const ink = v < length && mask[base + v * stride] === 1;
      if (ink && start < 0) start = v;
      if (!ink && start >= 0) {
        if (v - start <= THIN) {
          for (let k = start; k < v; k++) if (!hidden[base + k * stride]) thin[base + k * stride] = 1;
        }
        start = -1;
      }
    }
  }
  return thin;
}

/** Axis-aligned segments of thin ink, each a few pixels thick. */
function segments(
  thin: Uint8Array,
  mask: Uint8Array,
  hidden: Uint8Array,
  width: number,
  height: number,
  horizontal: boolean,
): Segment[] {
  const along = horizontal ? width : height;
  const across = horizontal ? height : width;
  const stride = horizontal ? 1 : width;
  const done: Segment[] = [];
  let open: Segment[] = [];
  for (let c = 0; c < across; c++) {
    const next: Segment[] = [];
    for (const [a0, a1] of runs(thin, mask, hidden, along, horizontal ? c * width : c, stride)) {
      // Runs of one line in neighbouring rows have about the same extent; a short run (where a
      // rounded corner leaves the line) must not widen the line into a thick band.
      const seg = open.find(
        (s) => Math.min(s.a1, a1) - Math.max(s.a0, a0) >= 0.5 * Math.max(s.a1 - s.a0, a1 - a0),
      );
      if (seg && !next.includes(seg)) {
        seg.a0 = Math.min(seg.a0, a0);
        seg.a1 = Math.max(seg.a1, a1);
        seg.c1 = c;
        next.push(seg);
      } else {
        next.push({ a0, a1, c0: c, c1: c });
      }
    }
    for (const s of open) if (!next.includes(s)) done.push(s);
    open = next;
  }
  done.push(...open);
  // A segment thicker than a border is a shallow diagonal stepping across rows, not a side.
  return done.filter((s) => s.c1 - s.c0 < THIN + 2);
}

/** Runs of thin ink along one line, bridging short blanks, crossings by other ink, and text. */
function runs(
  thin: Uint8Array,
  mask: Uint8Array,
  hidden: Uint8Array,
  along: number,
  base: number,
  stride: number,
): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  let lastThin = -1;
  let inkGap = 0;
  let blankGap = 0;
  let hiddenGap = 0;
  for (let a = 0; a <= along; a++) {
    const i = a < along ? base + a * stride : -1;
    if (i >= 0 && thin[i]) {
      if (start < 0) start = a;
      lastThin = a;
      inkGap = 0;
      blankGap = 0;
      hiddenGap = 0;
      continue;
    }
    if (start < 0) continue;
    if (i >= 0 && hidden[i]) hiddenGap++;
    else if (i >= 0 && mask[i]) inkGap++;
    else blankGap++;
    if (i < 0 || inkGap + blankGap > CROSSING || blankGap > BLANK || hiddenGap > MAX_HIDDEN) {
      if (lastThin - start + 1 >= MIN_SEGMENT) out.push([start, lastThin]);
      start = -1;
      inkGap = 0;
      blankGap = 0;
      hiddenGap = 0;
    }
  }
  return out;
}

interface Proposal {
  left: number;
  top: number;
  right: number;
  bottom: number;
  radius: number;
}

/**
 * A rectangle proposal for every horizontal and vertical segment pair that meets as one of the
 * four corners. Rounding is symmetric, so the corner's radius also tells where the far sides are.
 */
function* proposeFromCorners(hs: Segment[], vs: Segment[]): Generator<Proposal> {
  const CELL = 32;
  const grid = new Map<string, Segment[]>();
  const cellKey = (x: number, y: number) => `${Math.floor(x / CELL)},${Math.floor(y / CELL)}`;
  for (const v of vs) {
    for (const y of [v.a0, v.a1]) {
      const k = cellKey(mid(v), y);
      const list = grid.get(k);
      if (list) list.push(v);
      else grid.set(k, [v]);
    }
  }
  const near = (x: number, y: number): Set<Segment> => {
    const out = new Set<Segment>();
    const reach = MAX_RADIUS + SLACK;
    for (let gx = Math.floor((x - reach) / CELL); gx <= Math.floor((x + reach) / CELL); gx++) {
      for (let gy = Math.floor((y - reach) / CELL); gy <= Math.floor((y + reach) / CELL); gy++) {
        for (const v of grid.get(`${gx},${gy}`) ?? []) out.add(v);
      }
    }
    return out;
  };
  const inRange = (d: number, limit: number) => d >= -SLACK && d <= Math.min(MAX_RADIUS, limit);
  // Both sides stop short of a rounded corner by the same radius; a corner where one side stops
  // far shorter than the other is two separate boxes' sides meeting across a gap.
  const corner = (d1: number, d2: number, limit: number) =>
    inRange(d1, limit) && inRange(d2, limit) && Math.abs(d1 - d2) <= Math.max(SLACK, 0.3 * Math.max(d1, d2));
  for (const h of hs) {
    const hy = Math.round(mid(h));
    for (const [end, atLeft] of [[h.a0, true], [h.a1, false]] as const) {
      for (const v of near(end, hy)) {
        const vx = Math.round(mid(v));
        const limit = 0.35 * Math.min(h.a1 - h.a0, v.a1 - v.a0);
        // How far the horizontal side stops short of the corner: the corner's radius.
        const dx = atLeft ? h.a0 - vx : vx - h.a1;
        const left = atLeft ? vx : h.a0 - Math.max(0, dx);
        const right = atLeft ? h.a1 + Math.max(0, dx) : vx;
        const dTop = v.a0 - hy; // h as the top side
        if (corner(dx, dTop, limit)) {
          yield { left, right, top: hy, bottom: v.a1 + Math.max(0, dTop), radius: Math.max(dx, dTop, 0) };
        }
        const dBottom = hy - v.a1; // h as the bottom side
        if (corner(dx, dBottom, limit)) {
          yield { left, right, top: v.a0 - Math.max(0, dBottom), bottom: hy, radius: Math.max(dx, dBottom, 0) };
        }
      }
    }
  }
}

/** Checks that a proposed rectangle's four sides are actually drawn. */
class SideVerifier {
  constructor(
    private readonly mask: Uint8Array,
    private readonly hidden: Uint8Array,
    private readonly thinH: Uint8Array,
    private readonly thinV: Uint8Array,
    private readonly width: number,
    private readonly height: number,
  ) {}

  verify(left: number, top: number, right: number, bottom: number, radius: number): Box | null {
    const inset = (len: number) => Math.min(0.25 * len, Math.max(4, radius + 3));
    const w = right - left;
    const h = bottom - top;
    const drawn =
      this.corners(left, top, right, bottom, radius) &&
      this.side(true, top, left + inset(w), right - inset(w)) &&
      this.side(true, bottom, left + inset(w), right - inset(w)) &&
      this.side(false, left, top + inset(h), bottom - inset(h)) &&
      this.side(false, right, top + inset(h), bottom - inset(h));
    return drawn ? { x: left, y: top, width: w, height: h } : null;
  }

  /**
   * Thin ink along at least half of the side's visible length, and never more than a few blank
   * pixels in a row. Stretches under text count neither way.
   */
  private side(horizontal: boolean, line: number, from: number, to: number): boolean {
    const BAND = 2;
    // Filled shapes (an arrowhead on the border) have no edges inside: a position counts as
    // blank only if no ink is near across the side either.
    const WIDE = 8;
    const thin = horizontal ? this.thinH : this.thinV;
    let covered = 0;
    let blank = 0;
    let total = 0;
    let hiddenCount = 0;
    for (let a = Math.round(from); a <= Math.round(to); a++) {
      let inkWide = false;
      let isThin = false;
      let isHidden = false;
      for (let c = line - WIDE; c <= line + WIDE; c++) {
        const i = horizontal ? this.index(a, c) : this.index(c, a);
        if (i < 0 || !this.mask[i]) continue;
        inkWide = true;
        if (Math.abs(c - line) <= BAND && thin[i]) isThin = true;
      }
      for (let c = line - BAND; c <= line + BAND && !isHidden; c++) {
        const i = horizontal ? this.index(a, c) : this.index(c, a);
        if (i >= 0 && this.hidden[i]) isHidden = true;
      }
      if (isHidden && !isThin) {
        blank = 0;
        hiddenCount++;
        continue;
      }
      total++;
      if (isThin) covered++;
      blank = inkWide ? 0 : blank + 1;
      if (blank > BLANK) return false;
    }
    return total > hiddenCount && covered >= 0.5 * total;
  }

  /** Ink along each rounded corner's quarter circle, so the sides really turn into each other. */
  private corners(left: number, top: number, right: number, bottom: number, radius: number): boolean {
    if (radius < 3) return true;
    const arcs: [number, number, number, number][] = [
      [left + radius, top + radius, -1, -1],
      [right - radius, top + radius, 1, -1],
      [left + radius, bottom - radius, -1, 1],
      [right - radius, bottom - radius, 1, 1],
    ];
    for (const [cx, cy, sx, sy] of arcs) {
      let inked = 0;
      const STEPS = 8;
      for (let k = 0; k <= STEPS; k++) {
        const t = (k / STEPS) * (Math.PI / 2);
        const x = Math.round(cx + sx * radius * Math.cos(t));
        const y = Math.round(cy + sy * radius * Math.sin(t));
        if (this.inkNear(x, y)) inked++;
      }
      if (inked < 0.7 * (STEPS + 1)) return false;
    }
    return true;
  }

  private inkNear(x: number, y: number): boolean {
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        const i = this.index(x + dx, y + dy);
        if (i >= 0 && (this.mask[i] || this.hidden[i])) return true;
      }
    }
    return false;
  }

  private index(x: number, y: number): number {
    return x >= 0 && y >= 0 && x < this.width && y < this.height ? y * this.width + x : -1;
  }
}

/** Drops near-duplicates (the two edges of one thick border give two rectangles a few px apart). */
function dedupe(boxes: Box[]): Box[] {
  const sorted = [...boxes].sort((a, b) => b.width * b.height - a.width * a.height);
  const kept: Box[] = [];
  const NEAR = 6;
  for (const b of sorted) {
    const twin = kept.some(
      (k) =>
        Math.abs(k.x - b.x) <= NEAR &&
        Math.abs(k.y - b.y) <= NEAR &&
        Math.abs(k.x + k.width - b.x - b.width) <= NEAR &&
        Math.abs(k.y + k.height - b.y - b.height) <= NEAR,
    );
    if (!twin) kept.push(b);
  }
  return kept;
}
