import { describe, expect, it } from "vitest";
import { FloodFill } from "@/lib/offline/layout/flood-fill";

/** A grid from rows of "#" (open) and "." (closed). */
function grid(rows: string[]): { open: Uint8Array; width: number; height: number } {
  const width = rows[0]!.length;
  return { open: Uint8Array.from(rows.join("").split(""), (c) => (c === "#" ? 1 : 0)), width, height: rows.length };
}

const DIAGONAL = grid(["##..", "##..", "..##", "..#."]);

describe("FloodFill", () => {
  it("keeps diagonal neighbours apart with 4 neighbours", () => {
    const { open, width, height } = DIAGONAL;
    const flood = new FloodFill(open, width, height, 4);
    expect(flood.fill(0, 0)).toEqual({ size: 4, x0: 0, y0: 0, x1: 1, y1: 1 });
    expect([...flood.pixels.subarray(0, 4)].sort((a, b) => a - b)).toEqual([0, 1, 4, 5]);
    expect(flood.ids[10]).toBe(-1);
    expect(flood.fill(10, 1)).toEqual({ size: 3, x0: 2, y0: 2, x1: 3, y1: 3 });
    expect([...flood.ids]).toEqual([0, 0, -1, -1, 0, 0, -1, -1, -1, -1, 1, 1, -1, -1, 1, -1]);
  });

  it("joins them with 8 neighbours", () => {
    const { open, width, height } = DIAGONAL;
    const flood = new FloodFill(open, width, height, 8);
    expect(flood.fill(14, 7)).toEqual({ size: 7, x0: 0, y0: 0, x1: 3, y1: 3 });
    expect([...flood.ids].filter((id) => id === 7)).toHaveLength(7);
  });

  it("does not wrap around the image's edges", () => {
    const { open, width, height } = grid(["#..#", "#..#"]);
    const flood = new FloodFill(open, width, height, 8);
    expect(flood.fill(3, 0)).toEqual({ size: 2, x0: 3, y0: 0, x1: 3, y1: 1 });
    expect(flood.ids[0]).toBe(-1);
  });
});
