import "server-only";
import {
  area,
  bottom,
  boxDistance,
  centreX,
  inflate,
  intersection,
  median,
  right,
  spanOverlap,
  union,
} from "@/lib/offline/layout/geometry";
import type { Block } from "@/lib/offline/layout/labels";
import type { FreeBlock, NodeDraft } from "@/lib/offline/layout/grouping";
import type { Raster } from "@/lib/offline/layout/raster";
import type { Box } from "@/lib/offline/types";

/**
 * Sorts the text that sits in no component box: the diagram's title, captions of components
 * drawn as an icon or a shape instead of a box, short texts that may label an arrow, notes.
 */
export interface FreeTextRoles {
  title: Block | null;
  nodes: NodeDraft[];
  arrowLabels: FreeBlock[];
  notes: FreeBlock[];
}

export interface Surroundings {
  raster: Raster;
  mask: Uint8Array;
  /**
   * Every box drawn (components and groups): the title stands above all of them, and their
   * borders are no icons.
   */
  drawn: Box[];
  /** Places to ignore when looking for an icon (step circles). */
  ignore: Box[];
  /** All text, so text is never mistaken for an icon or an enclosing shape. */
  text: Box[];
}

/**
 * How far above its caption an icon may end, in caption lines: reference diagrams leave up to
 * about two lines of space between a service's icon and its name.
 */
const ICON_GAP = 2;

/** Arrow labels are a word or two ("events", "HTTPS", "micro-batches"). */
const MAX_ARROW_LABEL = 20;

export function classifyFreeText(free: FreeBlock[], s: Surroundings): FreeTextRoles {
  const roles: FreeTextRoles = { title: findTitle(free, s), nodes: [], arrowLabels: [], notes: [] };
  const shapeTexts = new Map<NodeDraft, FreeBlock>();
  for (const f of free) {
    if (f.block === roles.title) continue;
    const icon = iconAbove(f.block, s);
    const shape = icon ? null : enclosingShape(f.block, s);
    if (icon || shape) {
      const node: NodeDraft = {
        label: f.block.text,
        box: icon ? union(icon, f.block.box) : shape!,
        group: f.group,
        lines: f.block.lines,
        drawnAs: icon ? "icon" : "shape",
      };
      roles.nodes.push(node);
      if (!icon) shapeTexts.set(node, f);
    } else if (f.block.lines.length <= 2 && f.block.text.length <= MAX_ARROW_LABEL) {
      roles.arrowLabels.push(f);
    } else {
      roles.notes.push(f);
    }
  }
  return relabelRepeatedShapes(roles, shapeTexts);
}

/** The same words written this often in pockets between lines are the lines' labels. */
const REPEATED_LABEL = 3;

/**
 * Text in an outline that is no rectangle reads as a shape's caption, but the pocket between
 * a few lines looks the same: words written several times over ("Uses", "Store / retrieve")
 * are what the arrows say, not the names of as many components.
 */
function relabelRepeatedShapes(roles: FreeTextRoles, shapeTexts: Map<NodeDraft, FreeBlock>): FreeTextRoles {
  const key = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  const counts = new Map<string, number>();
  for (const text of [...[...shapeTexts.keys()].map((node) => node.label), ...roles.arrowLabels.map((a) => a.block.text)]) {
    counts.set(key(text), (counts.get(key(text)) ?? 0) + 1);
  }
  const repeated = (node: NodeDraft) => shapeTexts.has(node) && (counts.get(key(node.label)) ?? 0) >= REPEATED_LABEL;
  for (const node of roles.nodes.filter(repeated)) roles.arrowLabels.push(shapeTexts.get(node)!);
  roles.nodes = roles.nodes.filter((node) => !repeated(node));
  return roles;
}

/**
 * The title: top-level text above every drawn box, alone on its row (a row of column headers
 * is no title), at least as large as the diagram's typical text.
 */
function findTitle(free: FreeBlock[], s: Surroundings): Block | null {
  const topLevel = free.filter((f) => f.group === null).map((f) => f.block);
  const ceiling = Math.min(s.raster.height * 0.2, ...s.drawn.map((b) => b.y + 4));
  const above = topLevel.filter((b) => bottom(b.box) <= ceiling).sort((a, b) => a.box.y - b.box.y);
  const first = above[0];
  if (!first) return null;
  const sameRow = above.filter((b) => spanOverlap(b.box.y, bottom(b.box), first.box.y, bottom(first.box)) > 0.3);
  const typical = median(free.map((f) => f.block.lineHeight));
  return sameRow.length === 1 && first.lineHeight >= 0.9 * typical ? first : null;
}

/**
 * An icon right above a caption: a compact patch of pixels unlike the caption's background,
 * at least a text line tall and wide, close over the caption. Outline icons are sparse, so the
 * density asked is low; a line passing above the caption is either too flat or, running
 * diagonally, too sparse within its own bounding box.
 */
function iconAbove(block: Block, s: Surroundings): Box | null {
  const { raster } = s;
  const lh = block.lineHeight;
  const width = Math.max(3 * lh, Math.min(block.box.width, 6 * lh));
  const zone = clip({ x: centreX(block.box) - width / 2, y: block.box.y - 4.5 * lh, width, height: 4.5 * lh - 1 }, raster);
  if (!zone) return null;
  const bg = ringColour(raster, block.box);
  const skip = [...s.ignore, ...s.text].filter((b) => intersection(b, zone) > 0);
  // The border of a box drawn above the caption is no icon.
  const borders = s.drawn.filter((b) => intersection(inflate(b, 3), zone) > 0);
  const onBorder = (x: number, y: number) =>
    borders.some((b) => {
      const inOuter = x >= b.x - 3 && x <= right(b) + 3 && y >= b.y - 3 && y <= bottom(b) + 3;
      const inInner = x > b.x + 3 && x < right(b) - 3 && y > b.y + 3 && y < bottom(b) - 3;
      return inOuter && !inInner;
    });
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  let count = 0;
  for (let y = zone.y; y < zone.y + zone.height; y++) {
    for (let x = zone.x; x < zone.x + zone.width; x++) {
      const o = (y * raster.width + x) * 3;
      const d = Math.max(
        Math.abs(raster.rgb[o]! - bg[0]),
        Math.abs(raster.rgb[o + 1]! - bg[1]),
        Math.abs(raster.rgb[o + 2]! - bg[2]),
      );
      if (d < 60 || skip.some((b) => x >= b.x && x < right(b) && y >= b.y && y < bottom(b)) || onBorder(x, y)) continue;
      count++;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x);
      y1 = Math.max(y1, y);
    }
  }
  if (count === 0) return null;
  const icon = { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
  const dense = count >= 0.05 * area(zone) && count >= 0.12 * area(icon);
  const sized = icon.height >= 1.2 * lh && icon.width >= 1.2 * lh;
  return dense && sized && boxDistance(icon, block.box) <= ICON_GAP * lh ? icon : null;
}

/**
 * Text inside a drawn shape that is no rectangle (a cylinder, a cloud, a hexagon icon): ink
 * close by on all four sides, above and below along the text's whole width. Returns the shape's
 * extent as far as the rays saw it.
 */
function enclosingShape(block: Block, s: Surroundings): Box | null {
  const { raster, mask } = s;
  const b = block.box;
  const reach = 2.5 * block.lineHeight;
  // Shapes are sized to their text: a wide caption leaves more room at its sides.
  const sideReach = reach + 0.5 * b.width;
  const isInk = (x: number, y: number) =>
    x >= 0 &&
    y >= 0 &&
    x < raster.width &&
    y < raster.height &&
    mask[y * raster.width + x] === 1 &&
    !s.text.some((t) => x >= t.x && x < right(t) && y >= t.y && y < bottom(t));
  /** Distance to the first ink along a ray, or Infinity. */
  const ray = (x: number, y: number, dx: number, dy: number) => {
    const limit = dx === 0 ? reach : sideReach;
    for (let k = 1; k <= limit; k++) if (isInk(Math.round(x + dx * k), Math.round(y + dy * k))) return k;
    return Infinity;
  };
  const columns = [0.2, 0.5, 0.8].map((f) => b.x + f * b.width);
  const up = Math.max(...columns.map((x) => ray(x, b.y - 2, 0, -1)));
  const down = Math.max(...columns.map((x) => ray(x, bottom(b) + 2, 0, 1)));
  const cy = b.y + b.height / 2;
  const left = ray(b.x - 2, cy, -1, 0);
  const rightSide = ray(right(b) + 2, cy, 1, 0);
  if (![up, down, left, rightSide].every(Number.isFinite)) return null;
  // A caption sits centred in its shape; ink close on one side only is a neighbour, not a shape.
  if (Math.min(left, rightSide) + 0.25 * block.lineHeight < 0.6 * Math.max(left, rightSide)) return null;
  const shape = { x: b.x - 2 - left, y: b.y - 2 - up, width: b.width + left + rightSide + 4, height: b.height + up + down + 4 };
  // A shape is drawn around its caption; a short word in a pocket between boxes and lines (an
  // arrow label) is surrounded much more loosely.
  return shape.width <= 2.4 * Math.max(b.width, 2 * block.lineHeight) ? shape : null;
}

/** The median colour of a thin ring just outside a box: the background the text is printed on. */
function ringColour(r: Raster, box: Box): [number, number, number] {
  const samples: [number[], number[], number[]] = [[], [], []];
  const add = (x: number, y: number) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= r.width || yi >= r.height) return;
    const o = (yi * r.width + xi) * 3;
    for (let c = 0; c < 3; c++) samples[c]!.push(r.rgb[o + c]!);
  };
  for (let x = box.x - 3; x <= right(box) + 3; x += 2) {
    add(x, box.y - 3);
    add(x, bottom(box) + 3);
  }
  for (let y = box.y - 3; y <= bottom(box) + 3; y += 2) {
    add(box.x - 3, y);
    add(right(box) + 3, y);
  }
  return [median(samples[0]), median(samples[1]), median(samples[2])];
}

function clip(b: Box, r: Raster): Box | null {
  const x = Math.max(0, Math.round(b.x));
  const y = Math.max(0, Math.round(b.y));
  const x1 = Math.min(r.width, Math.round(right(b)));
  const y1 = Math.min(r.height, Math.round(bottom(b)));
  return x1 > x && y1 > y ? { x, y, width: x1 - x, height: y1 - y } : null;
}
