import "server-only";
import { FloodFill } from "@/lib/offline/layout/flood-fill";
/**
 * Faces: connected patches (4-connected) of open pixels, here the ink-free pixels of one kind
 * of colour. A shape drawn with a fill leaves its inside as one face even with a glyph punched
 * out of it; the face's bounding box, fill and the share of each side it reaches tell a disc
 * from a square.
 */

export interface Face {
  /** Inclusive bounding box in working pixels. */
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  pixels: number;
  /** Mean colour of the face: the fill of the box it is the inside of. */
  colour: [number, number, number];
  /**
   * For each side of the bounding box (top, right, bottom, left), the share of that side's
   * length where the face itself reaches the side. Near 1 for the inside of a rectangle; low
   * for the wedge an arrow cuts off, a circle, or a letter's counter.
   */
  sides: [number, number, number, number];
  touchesImageEdge: boolean;
}

export interface FaceMap {
  /** Face index per pixel, -1 where closed. */
  ids: Int32Array;
  faces: Face[];
}

export function findFaces(open: Uint8Array, rgb: Uint8Array, width: number, height: number): FaceMap {
  const n = width * height;
  const flood = new FloodFill(open, width, height, 4);
  const { ids, pixels } = flood;
  const stats: { x0: number; y0: number; x1: number; y1: number; pixels: number; r: number; g: number; b: number }[] = [];
  for (let start = 0; start < n; start++) {
    if (!open[start] || ids[start] !== -1) continue;
    const { size, x0, y0, x1, y1 } = flood.fill(start, stats.length);
    let r = 0, g = 0, b = 0;
    for (let k = 0; k < size; k++) {
      const o = pixels[k]! * 3;
      r += rgb[o]!;
      g += rgb[o + 1]!;
      b += rgb[o + 2]!;
    }
    stats.push({ x0, y0, x1, y1, pixels: size, r, g, b });
  }

  // Second pass: how much of each bounding-box side the face itself touches.
  const touch = new Int32Array(stats.length * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const id = ids[y * width + x]!;
      if (id < 0) continue;
      const s = stats[id]!;
      const k = id * 4;
      if (y === s.y0) touch[k] = touch[k]! + 1;
      if (x === s.x1) touch[k + 1] = touch[k + 1]! + 1;
      if (y === s.y1) touch[k + 2] = touch[k + 2]! + 1;
      if (x === s.x0) touch[k + 3] = touch[k + 3]! + 1;
    }
  }

  const faces = stats.map((s, id): Face => {
    const w = s.x1 - s.x0 + 1;
    const h = s.y1 - s.y0 + 1;
    return {
      x0: s.x0,
      y0: s.y0,
      x1: s.x1,
      y1: s.y1,
      pixels: s.pixels,
      colour: [s.r / s.pixels, s.g / s.pixels, s.b / s.pixels],
      sides: [touch[id * 4]! / w, touch[id * 4 + 1]! / h, touch[id * 4 + 2]! / w, touch[id * 4 + 3]! / h],
      touchesImageEdge: s.x0 === 0 || s.y0 === 0 || s.x1 === width - 1 || s.y1 === height - 1,
    };
  });
  return { ids, faces };
}
