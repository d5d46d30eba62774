import { describe, expect, it } from "vitest";
import { edgeMask } from "@/lib/offline/layout/edges";
import { groupBlocks, type Line } from "@/lib/offline/layout/labels";
import { readingOrder } from "@/lib/offline/layout/order";
import { toRaster } from "@/lib/offline/layout/raster";
import { findRectangles } from "@/lib/offline/layout/rectangles";
import type { Box } from "@/lib/offline/types";
import { arrow, box, render } from "@/tests/offline/layout/diagrams";

async function rectanglesIn(shapes: string, width = 600, height = 300): Promise<Box[]> {
  const raster = toRaster(await render({ width, height, shapes, labels: [] }));
  return findRectangles(edgeMask(raster), raster.width, raster.height, { minWidth: 12, minHeight: 10, occluders: [] });
}

/** True when some found rectangle matches the drawn one within a few pixels. */
function found(rects: Box[], x: number, y: number, w: number, h: number): boolean {
  return rects.some((r) => Math.abs(r.x - x) <= 3 && Math.abs(r.y - y) <= 3 && Math.abs(r.width - w) <= 4 && Math.abs(r.height - h) <= 4);
}

describe("findRectangles", () => {
  it("keeps a row of separate boxes separate", async () => {
    const rects = await rectanglesIn([box(20, 50, 150, 40), box(185, 50, 150, 40), box(350, 50, 150, 40)].join(""));
    expect(rects).toHaveLength(3);
    expect(found(rects, 20, 50, 150, 40)).toBe(true);
    expect(found(rects, 350, 50, 150, 40)).toBe(true);
  });

  it("finds a dashed border", async () => {
    const dashed = `<rect x="40" y="40" width="400" height="200" fill="none" stroke="#607d8b" stroke-dasharray="5 4"/>`;
    expect(found(await rectanglesIn(dashed), 40, 40, 400, 200)).toBe(true);
  });

  it("finds a group whose inside arrows cut in pieces", async () => {
    const shapes = [
      box(100, 40, 400, 220, "#e3f2fd"),
      box(200, 120, 120, 50),
      arrow(20, 20, 198, 140),
      arrow(322, 145, 560, 290),
      arrow(260, 172, 260, 280),
    ].join("");
    const rects = await rectanglesIn(shapes);
    expect(found(rects, 100, 40, 400, 220)).toBe(true);
    expect(found(rects, 200, 120, 120, 50)).toBe(true);
  });

  it("finds filled tiles without borders, and no box in a circle", async () => {
    const shapes = `<rect x="60" y="60" width="160" height="50" rx="6" fill="#1a73e8"/><circle cx="400" cy="100" r="30" fill="#263238"/>`;
    const rects = await rectanglesIn(shapes);
    expect(rects).toHaveLength(1);
    expect(found(rects, 60, 60, 160, 50)).toBe(true);
  });
});

function line(text: string, x: number, y: number, width: number, height = 16): Line {
  const b = { x, y, width, height };
  return { text, box: b, source: { text, confidence: 1, box: b } };
}

describe("groupBlocks", () => {
  it("joins lines stacked under each other, and lines split on one baseline", () => {
    const blocks = groupBlocks([
      line("Archive Tier", 100, 122, 90),
      line("Data Lake", 100, 100, 70),
      line("Amazon", 400, 100, 55),
      line("S3", 462, 100, 20),
    ]);
    expect(blocks.map((b) => b.text).sort()).toEqual(["Amazon S3", "Data Lake Archive Tier"]);
  });

  it("keeps lines apart when a gap of more than a line separates them", () => {
    const blocks = groupBlocks([line("Title", 100, 100, 40), line("Caption", 100, 160, 60)]);
    expect(blocks.map((b) => b.text)).toEqual(["Title", "Caption"]);
  });
});

describe("readingOrder", () => {
  const at = (x: number, y: number, width = 50, height = 20) => ({ x, y, width, height });

  it("reads rows top to bottom, left to right", () => {
    const items = [at(200, 100), at(20, 102), at(20, 200), at(200, 198)];
    expect(readingOrder(items, (b) => b)).toEqual([items[1], items[0], items[2], items[3]]);
  });

  it("reads a tall group beside a column of boxes left to right", () => {
    const tall = at(300, 50, 200, 400);
    const column = [at(20, 100), at(20, 300)];
    expect(readingOrder([tall, ...column], (b) => b)).toEqual([column[0], column[1], tall]);
  });
});
