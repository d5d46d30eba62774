import "server-only";
import { bottom, right, spanOverlap, union } from "@/lib/offline/layout/geometry";
import type { Box } from "@/lib/offline/types";

/** A piece of text the layout read, where it stands. */
export interface Placed {
  text: string;
  box: Box;
}

/** A legend announces itself: "Legend", "Legend:", "Key". */
const LEGEND_TITLE = /^\s*(legend|key)\b\s*:?/i;

/**
 * The diagram's legend: the item titled "Legend" (or "Key") and the items laid out with it, in
 * its row (side by side, each close to the last) or in its column (stacked under it, each close
 * to the last). Its entries name line styles, colours and roles, not parts of the architecture.
 * Returns the indexes of the items that make it up; empty when there is none.
 */
export function findLegend(items: Placed[]): Set<number> {
  const title = items.findIndex((item) => LEGEND_TITLE.test(item.text));
  if (title < 0) return new Set();
  const members = new Set([title]);
  let extent = items[title]!.box;
  const reach = Math.max(items[title]!.box.height, 12);
  const inRow = (box: Box) =>
    spanOverlap(extent.y, bottom(extent), box.y, bottom(box)) >= 0.5 &&
    (box.x - right(extent) <= 1.5 * reach && extent.x - right(box) <= 1.5 * reach);
  const inColumn = (box: Box) =>
    spanOverlap(extent.x, right(extent), box.x, right(box)) >= 0.3 && box.y - bottom(extent) <= reach && box.y >= extent.y;
  for (const fits of [inRow, inColumn]) {
    let grown = true;
    while (grown) {
      grown = false;
      items.forEach((item, index) => {
        if (members.has(index) || !fits(item.box)) return;
        members.add(index);
        extent = union(extent, item.box);
        grown = true;
      });
    }
  }
  return members;
}
