import "server-only";
import { area, bottom, centreX, coverage, right } from "@/lib/offline/layout/geometry";
import type { Line } from "@/lib/offline/layout/labels";
import type { Box } from "@/lib/offline/types";

/** A drawn rectangle, placed in the nesting of all rectangles, with the text inside it. */
export interface Region {
  box: Box;
  parent: Region | null;
  children: Region[];
  /** Lines whose smallest enclosing rectangle is this one. */
  lines: Line[];
}

/**
 * Nests the rectangles (each one's parent is the smallest other rectangle holding it) and puts
 * each line in the smallest rectangle that holds most of it and is taller than the line, so a
 * label lands in its component box and a group title in its group box.
 */
export function buildRegions(rects: Box[], lines: Line[]): { regions: Region[]; outside: Line[] } {
  const regions: Region[] = rects
    .map((box) => ({ box, parent: null, children: [], lines: [] }) as Region)
    .sort((a, b) => area(a.box) - area(b.box));
  for (let i = 0; i < regions.length; i++) {
    const r = regions[i]!;
    for (let j = i + 1; j < regions.length; j++) {
      const p = regions[j]!;
      if (area(p.box) > area(r.box) && coverage(r.box, p.box) >= 0.95) {
        r.parent = p;
        p.children.push(r);
        break;
      }
    }
  }
  const outside: Line[] = [];
  for (const line of lines) {
    const home = regions.find((r) => r.box.height >= 1.2 * line.box.height && coverage(line.box, r.box) >= 0.75);
    if (home) home.lines.push(line);
    else outside.push(line);
  }
  return { regions, outside };
}

/** True when the region or anything inside it holds text. */
export function holdsText(region: Region): boolean {
  return region.lines.length > 0 || region.children.some(holdsText);
}

/**
 * Headers written just above a top-level box rather than inside it (a column's "Ingest" over
 * its tile, "AKS" over its boundary) are moved into that box, where they read as its title:
 * a line outside every box whose bottom is within a line's height of the box's top and which
 * stands within the box's width. Each header goes to the box right under it.
 */
export function attachHeaders(regions: Region[], outside: Line[]): Line[] {
  const roots = regions.filter((r) => r.parent === null && holdsText(r));
  return outside.filter((line) => {
    const lh = line.box.height;
    const under = roots
      .filter((r) => {
        const gap = r.box.y - bottom(line.box);
        const centre = centreX(line.box);
        return (
          gap >= -0.2 * lh &&
          gap <= lh &&
          r.box.height >= 2.5 * lh &&
          centre >= r.box.x &&
          centre <= right(r.box) &&
          line.box.x >= r.box.x - lh &&
          right(line.box) <= right(r.box) + lh
        );
      })
      .sort((a, b) => a.box.y - bottom(line.box) - (b.box.y - bottom(line.box)));
    const home = under[0];
    if (!home) return true;
    home.lines.push(line);
    return false;
  });
}
