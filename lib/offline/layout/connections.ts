import "server-only";
import { FloodFill } from "@/lib/offline/layout/flood-fill";
import { bottom, centreX, centreY, inflate, right } from "@/lib/offline/layout/geometry";
import type { Raster } from "@/lib/offline/layout/raster";
import { endWidth, lineEnds, traceLine, type LineEnd } from "@/lib/offline/layout/trace-lines";
import type { Box } from "@/lib/offline/types";

/**
 * Arrows between components, best effort. The ink left once component boxes, text and group
 * borders are wiped out is mostly connector lines; a line whose ink ends at exactly two
 * components joins them, and the end with more ink around it (the arrowhead) is the target.
 * A group border is wiped only where no line crosses it, so an arrow entering a group stays
 * whole. Arrow labels and step circles often sit on the line and interrupt it: their boxes are
 * filled in, which also tells which line a label or a step sits on.
 */

export interface ConnectionInput {
  raster: Raster;
  mask: Uint8Array;
  nodes: Box[];
  groups: Box[];
  /** Text that is not on lines: wiped out. */
  text: Box[];
  /** Arrow label candidates: filled in, and attached to the line they end up on or near. */
  labels: Box[];
  markers: Box[];
}

/** One end of an arrow: a component (index into `nodes`) or a group (index into `groups`). */
export type ConnectionEnd = { node: number } | { group: number };

export interface FoundConnection {
  from: ConnectionEnd;
  to: ConnectionEnd;
  /** Index into `labels`. */
  label: number | null;
}

export interface ConnectionResult {
  connections: FoundConnection[];
  /** For each marker, the arrow between two components it sits on, if any. */
  markerOn: ({ from: number; to: number } | null)[];
}

/** Half the width of a box's border in the ink mask: wiped with the box. */
const BORDER = 3;
/** How far outside a component box a line's end may stop. */
const REACH = 9;
/** The same two distances when lines are followed (trace-lines.ts). */
const TRACE_BORDER = 6;
const TRACE_REACH = 14;
/** Two ends of a line as it is read: the one further left first, or on a vertical line the higher. */
function inReadingOrder(a: End, b: End): [End, End] {
  const horizontal = Math.abs(a.x - b.x) >= Math.abs(a.y - b.y);
  return (horizontal ? a.x <= b.x : a.y <= b.y) ? [a, b] : [b, a];
}

/** Within this distance of each other, two frame touches of one line are the same end. */
const SAME_PLACE = 2 * REACH;
/** Across a traced line's end, in working pixels: a head is this wide at least, and this much wider than the other end. */
const MIN_HEAD_WIDTH = 4;
const HEAD_MARGIN = 3;

interface End {
  /** Index into the nodes, then the groups after them (see endOf). */
  node: number;
  x: number;
  y: number;
  /** Ink around the end: high at an arrowhead. */
  ink: number;
}

interface Segment {
  from: End;
  to: End;
  comp: number;
}

export function findConnections(input: ConnectionInput): ConnectionResult {
  const { raster, nodes, mask } = input;
  const { width, height } = raster;
  const ink = lineInk(input);
  const components = new Components(ink, mask, width, height);

  /** Per component: the nodes its ink reaches, with the touching pixels' centroid. */
  const touches = new Map<number, Map<number, { x: number; y: number; n: number }>>();
  nodes.forEach((node, ni) => {
    forRing(node, width, height, (i) => {
      if (!ink[i]) return;
      const id = components.of(i);
      const map = touches.get(id) ?? new Map<number, { x: number; y: number; n: number }>();
      const t = map.get(ni) ?? { x: 0, y: 0, n: 0 };
      t.x += i % width;
      t.y += Math.floor(i / width);
      t.n++;
      map.set(ni, t);
      touches.set(id, map);
    });
  });

  const skip = occupied([...input.text, ...input.labels, ...input.markers], width, height);
  const groupTouches = touchesOfGroups(input.groups, ink, mask, components, width, height);
  const segments: Segment[] = [];
  for (const id of new Set([...touches.keys(), ...groupTouches.keys()])) {
    const ends: End[] = [...(touches.get(id) ?? new Map<number, { x: number; y: number; n: number }>()).entries()]
      .filter(([node, t]) => t.n >= 3 && components.endsAt(id, t.x / t.n, t.y / t.n, strictlyInside(nodes[node]!)))
      .map(([node, t]) => ({ node, x: t.x / t.n, y: t.y / t.n, ink: 0 }));
    // A line that reaches no second component may end at a group's frame: an arrow into or out
    // of a whole group. Only lines that stop there count, not ones crossing the frame.
    if (ends.length < 2) {
      const atFrames = [...(groupTouches.get(id) ?? new Map<number, { x: number; y: number; n: number }>()).entries()]
        .filter(([, t]) => t.n >= 3)
        .map(([group, t]) => ({ node: nodes.length + group, x: t.x / t.n, y: t.y / t.n, ink: 0 }))
        .filter((e) => !ends.some((n) => within(inflate(nodes[n.node]!, REACH + BORDER), e.x, e.y)))
        .filter((e) => components.endsAt(id, e.x, e.y, nearFrame(input.groups[e.node - nodes.length]!, 2 * BORDER)));
      ends.push(...innermostAtEachPlace(atFrames, input.groups, nodes.length));
    }
    if (ends.length !== 2 && (ends.length < 2 || ends.some((e) => e.node >= nodes.length))) continue;
    if (!components.isThin(id, ends.length)) continue;
    for (const e of ends) e.ink = headInk(raster, skip, e, e.node < nodes.length ? inflatedInside(nodes[e.node]!) : nearFrame(input.groups[e.node - nodes.length]!, BORDER));
    const least = Math.min(...ends.map((e) => e.ink));
    const isHead = (e: End) => e.ink >= 1.5 * least + 5;
    const heads = ends.filter(isHead);
    const tails = ends.filter((e) => e.ink <= least + Math.max(5, 0.25 * least));
    if (ends.length === 2) {
      // Without one clear arrowhead (a plain line, heads at both ends) the order is the way
      // diagrams are read: left to right, top to bottom.
      const clear = heads.length === 1 && tails.length === 1;
      const [first, second] = inReadingOrder(ends[0]!, ends[1]!);
      segments.push({ from: clear ? tails[0]! : first, to: clear ? heads[0]! : second, comp: id });
    } else if (tails.length === 1 && heads.length === ends.length - 1) {
      // A fan from one source to several targets.
      for (const h of heads) segments.push({ from: tails[0]!, to: h, comp: id });
    }
  }
  joinPassingLines(segments);
  segments.push(...tracedSegments(input, ink, components, segments));

  const connections = segments.map((s) => ({ from: s.from.node, to: s.to.node, label: null as number | null }));
  const labelOf = nearestSegments(input.labels, segments, components);
  // Each line takes its nearest label.
  const bestLabel = new Map<number, { label: number; d: number }>();
  labelOf.forEach((hit, li) => {
    if (!hit) return;
    const prev = bestLabel.get(hit.segment);
    if (!prev || hit.d < prev.d) bestLabel.set(hit.segment, { label: li, d: hit.d });
  });
  for (const [si, { label }] of bestLabel) connections[si]!.label = label;

  const unique = new Map<string, (typeof connections)[number]>();
  for (const c of connections) {
    const key = `${c.from}>${c.to}`;
    const prev = unique.get(key);
    if (c.from !== c.to && (!prev || (prev.label === null && c.label !== null))) unique.set(key, c);
  }
  const markerOn = nearestSegments(input.markers, segments, components).map((hit) => {
    const s = hit ? segments[hit.segment]! : null;
    const on = s ? unique.get(`${s.from.node}>${s.to.node}`) : undefined;
    return on && on.from < nodes.length && on.to < nodes.length ? { from: on.from, to: on.to } : null;
  });
  const endOf = (end: number): ConnectionEnd => (end < nodes.length ? { node: end } : { group: end - nodes.length });
  return {
    connections: [...unique.values()].map((c) => ({ from: endOf(c.from), to: endOf(c.to), label: c.label })),
    markerOn,
  };
}

/**
 * Per ink component: the groups whose frame it reaches, on either side of the frame, with the
 * touching pixels' centroid. The frame itself was wiped (lineInk), so a line that stops at it
 * leaves ink on one side only.
 */
function touchesOfGroups(groups: Box[], ink: Uint8Array, mask: Uint8Array, components: Components, width: number, height: number) {
  const touches = new Map<number, Map<number, { x: number; y: number; n: number }>>();
  groups.forEach((group, gi) => {
    forFrameRing(group, width, height, (i) => {
      // Drawn ink only: a label or marker filled in on a short line between two frames would
      // otherwise reach both of them from the middle.
      if (!ink[i] || !mask[i]) return;
      const id = components.of(i);
      const map = touches.get(id) ?? new Map<number, { x: number; y: number; n: number }>();
      const t = map.get(gi) ?? { x: 0, y: 0, n: 0 };
      t.x += i % width;
      t.y += Math.floor(i / width);
      t.n++;
      map.set(gi, t);
      touches.set(id, map);
    });
  });
  return touches;
}

/**
 * Where nested frames run close together, a line's end reaches several of them: the end is the
 * innermost group's (the smallest), one per place.
 */
function innermostAtEachPlace(ends: End[], groups: Box[], offset: number): End[] {
  const area = (e: End) => groups[e.node - offset]!.width * groups[e.node - offset]!.height;
  const kept: End[] = [];
  for (const e of [...ends].sort((a, b) => area(a) - area(b))) {
    if (!kept.some((k) => Math.hypot(k.x - e.x, k.y - e.y) < SAME_PLACE)) kept.push(e);
  }
  return kept;
}

/**
 * The lines whose ink did not resolve into connections on its own (lines crossing each other,
 * dashed lines, a fan tangled with another line), followed from each end to the box they reach.
 * Each pair of boxes is joined once, by the first line found between them; the end with the
 * clearly larger arrowhead is the target, else the later one in reading order.
 */
function tracedSegments(input: ConnectionInput, ink: Uint8Array, components: Components, found: Segment[]): Segment[] {
  const { raster, nodes } = input;
  // Box outlines are found a pixel or two off: a wider strip along them is wiped so that no
  // remnant of a border reads as a line leaving the box.
  const wiped = ink.slice();
  for (const n of nodes) fillBox(wiped, inflate(n, TRACE_BORDER), 0, raster.width, raster.height);
  const traceInput = { ink: wiped, width: raster.width, height: raster.height, nodes, reach: TRACE_REACH, border: TRACE_BORDER, raster };
  const resolved = new Set(found.map((s) => s.comp));
  const pairKey = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`);
  const joined = new Set(found.map((s) => pairKey(s.from.node, s.to.node)));
  const out: Segment[] = [];
  for (const start of lineEnds(traceInput)) {
    const comp = components.at(start.x, start.y);
    if (comp >= 0 && resolved.has(comp)) continue;
    const arrival = traceLine(traceInput, start);
    if (!arrival || joined.has(pairKey(start.node, arrival.node))) continue;
    joined.add(pairKey(start.node, arrival.node));
    const [startWidth, arrivalWidth] = [endWidth(traceInput, start, nodes[start.node]!), endWidth(traceInput, arrival, nodes[arrival.node]!)];
    const [a, b] = [start, arrival].map((end: LineEnd) => ({ node: end.node, x: end.x, y: end.y, ink: 0 }));
    const startIsHead = startWidth >= MIN_HEAD_WIDTH && startWidth >= arrivalWidth + HEAD_MARGIN;
    const arrivalIsHead = arrivalWidth >= MIN_HEAD_WIDTH && arrivalWidth >= startWidth + HEAD_MARGIN;
    // The clearly wider end is the head; without one, the line reads as diagrams are read.
    const [first, second] = startIsHead ? [b!, a!] : arrivalIsHead ? [a!, b!] : inReadingOrder(a!, b!);
    out.push({ from: first, to: second, comp });
  }
  return out;
}

/**
 * A line that grazes a box's corner on its way is cut in two by wiping the box, and each half
 * seems to end there. Two halves ending at the same box within a few pixels of each other are
 * joined back into the one line between their other ends.
 */
function joinPassingLines(segments: Segment[]) {
  const GRAZE = 24;
  const sharedEnd = (a: Segment, b: Segment): [End, End] | null => {
    for (const ea of [a.from, a.to]) {
      for (const eb of [b.from, b.to]) {
        if (ea.node === eb.node && Math.hypot(ea.x - eb.x, ea.y - eb.y) <= GRAZE) return [ea, eb];
      }
    }
    return null;
  };
  for (let i = 0; i < segments.length; i++) {
    for (let j = i + 1; j < segments.length; j++) {
      const a = segments[i]!;
      const b = segments[j]!;
      const shared = sharedEnd(a, b);
      if (!shared) continue;
      const p = shared[0] === a.from ? a.to : a.from;
      const q = shared[1] === b.from ? b.to : b.from;
      if (p.node === q.node) continue; // two arrows between the same pair, both ways
      // The far end with the clearly larger arrowhead is the target; else keep a's direction.
      const qHead = q.ink >= 1.5 * p.ink + 5;
      const pHead = p.ink >= 1.5 * q.ink + 5;
      const [from, to] = qHead || (!pHead && shared[0] === a.to) ? [p, q] : [q, p];
      segments[i] = { from, to, comp: a.comp };
      segments.splice(j, 1);
      break;
    }
  }
}

/** Connected components (8-neighbour) of the line ink, labelled on demand. */
class Components {
  private readonly flood: FloodFill;
  private readonly ids: Int32Array;
  /** Drawn ink pixels (filled-in boxes aside) and extent per component. */
  private readonly drawn: number[] = [];
  private readonly extents: Box[] = [];

  constructor(
    ink: Uint8Array,
    private readonly mask: Uint8Array,
    private readonly width: number,
    private readonly height: number,
  ) {
    this.flood = new FloodFill(ink, width, height, 8);
    this.ids = this.flood.ids;
  }

  /** The component at an ink pixel, labelled now if it is not yet. */
  of(i: number): number {
    if (this.ids[i] === -1) this.label(i);
    return this.ids[i]!;
  }

  /** Without labelling anything new: the component at a pixel, or -1. */
  at(x: number, y: number): number {
    const xi = Math.round(x);
    const yi = Math.round(y);
    return xi >= 0 && yi >= 0 && xi < this.width && yi < this.height ? this.ids[yi * this.width + xi]! : -1;
  }

  /** A connector is thin: a few drawn pixels per pixel of length (per branch of a fan). */
  isThin(id: number, ends: number): boolean {
    const e = this.extents[id]!;
    return this.drawn[id]! <= 14 * Math.max(e.width, e.height) * (ends - 1);
  }

  /**
   * Whether the component ends at a box rather than passing by it: seen from where it touches
   * the box, its ink a little further out lies to one side only. Ink inside a component's box is
   * ignored; at a group's frame, which a line may cross, only the frame's own band is (remnants
   * of a dashed frame lie along it).
   */
  endsAt(id: number, x: number, y: number, ignored: (x: number, y: number) => boolean): boolean {
    let sx = 0;
    let sy = 0;
    let n = 0;
    for (let dy = -20; dy <= 20; dy++) {
      for (let dx = -20; dx <= 20; dx++) {
        const d2 = dx * dx + dy * dy;
        if (d2 < 144 || d2 > 400) continue;
        const px = Math.round(x + dx);
        const py = Math.round(y + dy);
        if (ignored(px, py) || this.at(px, py) !== id) continue;
        const d = Math.sqrt(d2);
        sx += dx / d;
        sy += dy / d;
        n++;
      }
    }
    return n === 0 || Math.hypot(sx, sy) / n >= 0.5;
  }

  private label(start: number) {
    const { size, x0, y0, x1, y1 } = this.flood.fill(start, this.drawn.length);
    const { mask } = this;
    const { pixels } = this.flood;
    let drawn = 0;
    for (let k = 0; k < size; k++) if (mask[pixels[k]!]) drawn++;
    this.drawn.push(drawn);
    this.extents.push({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
  }
}

/** Ink that may belong to connector lines (see the module comment). */
function lineInk(input: ConnectionInput): Uint8Array {
  const { raster, mask } = input;
  const { width, height } = raster;
  const ink = mask.slice();
  for (const g of input.groups) wipeBorder(ink, mask, g, width, height);
  for (const t of input.text) fillBox(ink, inflate(t, 1), 0, width, height);
  for (const n of input.nodes) fillBox(ink, inflate(n, BORDER), 0, width, height);
  for (const l of input.labels) fillBox(ink, inflate(l, 2), 1, width, height);
  for (const m of input.markers) fillBox(ink, inflate(m, 1), 1, width, height);
  return ink;
}

function fillBox(target: Uint8Array, b: Box, value: 0 | 1, width: number, height: number) {
  const x0 = Math.max(0, Math.floor(b.x));
  const x1 = Math.min(width, Math.ceil(right(b)));
  if (x1 <= x0) return;
  for (let y = Math.max(0, Math.floor(b.y)); y < Math.min(height, Math.ceil(bottom(b))); y++) {
    target.fill(value, y * width + x0, y * width + x1);
  }
}

function occupied(boxes: Box[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const b of boxes) fillBox(out, inflate(b, 1), 1, width, height);
  return out;
}

/** Clears a group's border, except where a line passes through it. */
function wipeBorder(ink: Uint8Array, mask: Uint8Array, g: Box, width: number, height: number) {
  const BAND = 3;
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] === 1;
  // A line crossing at 45° is a few pixels further along the border on the far side.
  const inkNear = (x: number, y: number, alongX: boolean) => {
    for (let k = -7; k <= 7; k++) if (alongX ? at(x + k, y) : at(x, y + k)) return true;
    return false;
  };
  for (const side of ["left", "right", "top", "bottom"] as const) {
    const vertical = side === "left" || side === "right";
    const line = Math.round(side === "left" ? g.x : side === "right" ? right(g) : side === "top" ? g.y : bottom(g));
    const [from, to] = vertical ? [Math.round(g.y), Math.round(bottom(g))] : [Math.round(g.x), Math.round(right(g))];
    for (let a = from; a <= to; a++) {
      const crossed = vertical
        ? inkNear(line - BAND - 2, a, false) && inkNear(line + BAND + 2, a, false)
        : inkNear(a, line - BAND - 2, true) && inkNear(a, line + BAND + 2, true);
      if (crossed) continue;
      for (let c = line - BAND; c <= line + BAND; c++) {
        const [x, y] = vertical ? [c, a] : [a, c];
        if (x >= 0 && y >= 0 && x < width && y < height) ink[y * width + x] = 0;
      }
    }
  }
}

/** Calls `visit` for each pixel in the band just outside a box, where a line's end arrives. */
function forRing(box: Box, width: number, height: number, visit: (i: number) => void) {
  const outer = inflate(box, REACH);
  const inner = inflate(box, BORDER);
  for (let y = Math.max(0, Math.floor(outer.y)); y < Math.min(height, Math.ceil(bottom(outer))); y++) {
    for (let x = Math.max(0, Math.floor(outer.x)); x < Math.min(width, Math.ceil(right(outer))); x++) {
      if (x >= inner.x && x < right(inner) && y >= inner.y && y < bottom(inner)) continue;
      visit(y * width + x);
    }
  }
}

/** Calls `visit` for each pixel in the bands on both sides of a group's frame, where a line stopping at it ends. */
function forFrameRing(frame: Box, width: number, height: number, visit: (i: number) => void) {
  const outer = inflate(frame, REACH);
  const inner = inflate(frame, -REACH);
  const wiped = inflate(frame, BORDER);
  const inside = inflate(frame, -BORDER);
  for (let y = Math.max(0, Math.floor(outer.y)); y < Math.min(height, Math.ceil(bottom(outer))); y++) {
    for (let x = Math.max(0, Math.floor(outer.x)); x < Math.min(width, Math.ceil(right(outer))); x++) {
      if (within(inner, x, y)) {
        // Skip the interior in one jump.
        x = Math.ceil(right(inner)) - 1;
        continue;
      }
      // The frame's own band is wiped; its edges (both sides) are where a line's end arrives.
      if (within(wiped, x, y) && !within(inside, x, y)) continue;
      visit(y * width + x);
    }
  }
}

function within(b: Box, x: number, y: number): boolean {
  return x >= b.x && x < right(b) && y >= b.y && y < bottom(b);
}

function strictlyInside(box: Box): (x: number, y: number) => boolean {
  return (x, y) => within(box, x, y);
}

/** A component's box and its outline: no part of an arrowhead. */
function inflatedInside(box: Box): (x: number, y: number) => boolean {
  return strictlyInside(inflate(box, 1));
}

/** The band along a group's frame line, which runs past an arrow's end at it. */
function nearFrame(frame: Box, band: number): (x: number, y: number) => boolean {
  const outer = inflate(frame, band);
  const inner = inflate(frame, -band);
  return (x, y) => within(outer, x, y) && !within(inner, x, y);
}

/**
 * How much drawn ink sits around a line's end, outside the box and away from text: an
 * arrowhead is a filled triangle, a plain end is a line's width.
 */
function headInk(r: Raster, skip: Uint8Array, end: End, excluded: (x: number, y: number) => boolean): number {
  const RADIUS = 9;
  const lum: number[] = [];
  for (let dy = -RADIUS; dy <= RADIUS; dy++) {
    for (let dx = -RADIUS; dx <= RADIUS; dx++) {
      const px = Math.round(end.x + dx);
      const py = Math.round(end.y + dy);
      if (dx * dx + dy * dy > RADIUS * RADIUS || px < 0 || py < 0 || px >= r.width || py >= r.height) continue;
      if (excluded(px, py) || skip[py * r.width + px]) continue;
      const o = (py * r.width + px) * 3;
      lum.push(0.299 * r.rgb[o]! + 0.587 * r.rgb[o + 1]! + 0.114 * r.rgb[o + 2]!);
    }
  }
  const bg = [...lum].sort((a, b) => a - b)[Math.floor(lum.length / 2)] ?? 0;
  return lum.filter((l) => Math.abs(l - bg) > 50).length;
}

/**
 * For each box (a label, a marker), the line it was filled into, or else the nearest line
 * passing within a few of its heights.
 */
function nearestSegments(
  boxes: Box[],
  segments: Segment[],
  components: Components,
): ({ segment: number; d: number } | null)[] {
  return boxes.map((b) => {
    const cx = centreX(b);
    const cy = centreY(b);
    const onComp = components.at(cx, cy);
    let pick: { segment: number; d: number } | null = null;
    segments.forEach((s, si) => {
      const d = s.comp === onComp && onComp >= 0 ? 0 : pointSegmentDistance(cx, cy, s.from, s.to);
      if (d <= 2.5 * b.height && (!pick || d < pick.d)) pick = { segment: si, d };
    });
    return pick;
  });
}

function pointSegmentDistance(px: number, py: number, a: End, b: End): number {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - a.x) * dx + (py - a.y) * dy) / len2)) : 0;
  return Math.hypot(px - (a.x + t * dx), py - (a.y + t * dy));
}
