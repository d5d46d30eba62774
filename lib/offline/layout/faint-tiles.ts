import "server-only";
import { faintEdgeMask } from "@/lib/offline/layout/edges";
import { bottom, coverage, median, right } from "@/lib/offline/layout/geometry";
import type { Raster } from "@/lib/offline/layout/raster";
import { findRectangles, type RectangleOptions } from "@/lib/offline/layout/rectangles";
import type { Box } from "@/lib/offline/types";

/**
 * Tiles filled with a colour only a little off the background (light grey on white), which the
 * ordinary ink mask does not see: found as rectangles in a mask of faint steps, and kept only
 * when the rectangle really is a fill, a uniform colour inside its sides that differs from the
 * uniform colour just outside. JPEG ringing along a drawn border makes faint rectangles too,
 * but with the same colour on both sides.
 */
export function findFaintTiles(raster: Raster, known: Box[], opts: RectangleOptions): Box[] {
  const mask = faintEdgeMask(raster);
  return findRectangles(mask, raster.width, raster.height, opts).filter(
    (box) => !known.some((k) => coverage(box, k) > 0.9 && coverage(k, box) > 0.9) && isFilledTile(raster, box),
  );
}

/** How far inside and outside the sides the two colours are sampled. */
const INSET = 4;
/** The smallest difference of fill (per channel) that makes a tile. */
const MIN_CONTRAST = 6;
/** How close to its median a sample must be to count as the same flat colour. */
const FLAT = 5;

export function isFilledTile(raster: Raster, box: Box): boolean {
  const inside = ringSamples(raster, box, -INSET);
  const outside = ringSamples(raster, box, INSET);
  if (inside.length < 8 || outside.length < 8) return false;
  const inColour = medianColour(inside);
  const outColour = medianColour(outside);
  const contrast = Math.max(...inColour.map((c, k) => Math.abs(c - outColour[k]!)));
  // Icons and text inside, arrows and neighbours outside, break the flat colour here and there.
  return contrast >= MIN_CONTRAST && flatShare(inside, inColour) >= 0.7 && flatShare(outside, outColour) >= 0.5;
}

/** Colours along a ring `offset` pixels outside the box's sides (inside when negative). */
function ringSamples(raster: Raster, box: Box, offset: number): number[][] {
  const samples: number[][] = [];
  const x0 = box.x - offset;
  const y0 = box.y - offset;
  const x1 = right(box) + offset;
  const y1 = bottom(box) + offset;
  const add = (x: number, y: number) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= raster.width || yi >= raster.height) return;
    const o = (yi * raster.width + xi) * 3;
    samples.push([raster.rgb[o]!, raster.rgb[o + 1]!, raster.rgb[o + 2]!]);
  };
  // Corners are left out: a rounded tile's corner is background on both rings.
  const margin = INSET * 3;
  for (let x = x0 + margin; x <= x1 - margin; x += 3) {
    add(x, y0);
    add(x, y1);
  }
  for (let y = y0 + margin; y <= y1 - margin; y += 3) {
    add(x0, y);
    add(x1, y);
  }
  return samples;
}

function medianColour(samples: number[][]): number[] {
  return [0, 1, 2].map((k) => median(samples.map((s) => s[k]!)));
}

function flatShare(samples: number[][], colour: number[]): number {
  const flat = samples.filter((s) => s.every((c, k) => Math.abs(c - colour[k]!) <= FLAT)).length;
  return flat / samples.length;
}
