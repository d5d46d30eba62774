import "server-only";
import { bottom, centreX, median } from "@/lib/offline/layout/geometry";
import { groupBlocks, readingText, type Block, type Line } from "@/lib/offline/layout/labels";
import { holdsText, type Region } from "@/lib/offline/layout/regions";
import type { Box } from "@/lib/offline/types";

/** A group box with its title. */
export interface Group {
  box: Box;
  title: Block;
  parent: Group | null;
}

/**
 * A component: a box with a label, or (see free-text.ts) a caption under an icon or inside a
 * shape that is no rectangle. A shape's extent is only roughly known.
 */
export interface NodeDraft {
  label: string;
  box: Box;
  group: Group | null;
  lines: Line[];
  drawnAs: "box" | "icon" | "shape";
}

/** Text inside a group (or at the top level) but in no component box. */
export interface FreeBlock {
  block: Block;
  group: Group | null;
}

export interface Grouping {
  groups: Group[];
  nodes: NodeDraft[];
  free: FreeBlock[];
}

/**
 * Reads the rectangle nesting as groups and components. A rectangle holding other rectangles
 * with text is a group; so is a large rectangle with several separate pieces of text and a
 * title on its edge (icons with captions in a titled band). A rectangle with one piece of text,
 * or several that do not make a group, is a component, its lines joined as its label. A
 * rectangle without a title is no group of its own: what it holds goes to the group around it.
 */
export function groupRegions(roots: Region[]): Grouping {
  const out: Grouping = { groups: [], nodes: [], free: [] };
  const walk = (region: Region, group: Group | null) => {
    if (!holdsText(region)) return;
    const blocks = groupBlocks(region.lines);
    const nested = region.children.some(holdsText);
    if (nested || looksLikeGroup(region, blocks)) {
      const title = pickTitle(region, blocks, nested);
      const inner = title ? { box: region.box, title, parent: group } : group;
      if (inner && title) out.groups.push(inner);
      for (const block of blocks) if (block !== title) out.free.push({ block, group: inner });
      for (const child of region.children) walk(child, inner);
    } else {
      out.nodes.push({ label: readingText(region.lines), box: region.box, group, lines: region.lines, drawnAs: "box" });
    }
  };
  for (const root of roots) walk(root, null);
  return out;
}

/** Several separate pieces of text in a rectangle several lines tall. */
function looksLikeGroup(region: Region, blocks: Block[]): boolean {
  if (blocks.length < 2) return false;
  const lh = Math.max(...blocks.map((b) => b.lineHeight));
  return region.box.height >= 3.5 * lh;
}

/**
 * A group's title: the text along its top edge (the largest if several sit there; in a box
 * without inner boxes, a row of same-size texts along the top is a grid of cells, not a title),
 * or failing that a caption centred along its bottom edge that stands out from the rest
 * ("Control Plane" under its members): larger or wider than the others.
 */
function pickTitle(region: Region, blocks: Block[], nested: boolean): Block | null {
  const band = (b: Block) => Math.max(3 * b.lineHeight, 0.12 * region.box.height);
  const top = blocks.filter((b) => b.box.y - region.box.y <= band(b)).sort((a, b) => a.box.y - b.box.y);
  if (top.length > 0) {
    const first = top[0]!;
    // Largest first; among equals a one-line text (a title) before a wrapped description.
    const row = top
      .filter((b) => b.box.y - first.box.y <= 0.6 * first.lineHeight)
      .sort((a, b) => b.lineHeight - a.lineHeight || a.lines.length - b.lines.length);
    const [largest, next] = row;
    const standsOut = !next || largest!.lineHeight >= 1.2 * next.lineHeight;
    return standsOut || nested ? largest! : null;
  }
  const edge = blocks.filter((b) => bottom(region.box) - bottom(b.box) <= band(b));
  if (edge.length !== 1) return null;
  const caption = edge[0]!;
  const others = blocks.filter((b) => b !== caption);
  const larger = others.length >= 2 && caption.lineHeight >= 1.1 * median(others.map((b) => b.lineHeight));
  const wider = others.length >= 2 && caption.box.width >= 1.5 * Math.max(...others.map((b) => b.box.width));
  const centred = Math.abs(centreX(caption.box) - centreX(region.box)) <= 0.15 * region.box.width;
  return (nested || larger || wider) && centred ? caption : null;
}
