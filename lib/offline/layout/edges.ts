import "server-only";
import type { Raster } from "@/lib/offline/layout/raster";

/**
 * The ink mask: every pixel where the colour changes. Using the largest per-channel step (not
 * luminance alone) keeps borders between two fills of equal brightness (a blue box on a green
 * band) as visible as a grey line on white.
 */

/** Per-channel step that counts as an edge: above JPEG ringing and flat-fill noise. */
const EDGE_STEP = 22;

/**
 * Masks already made, by the pixels they were made from: finding the step markers and the
 * layout both need the mask of the same image, and it is a pass over every pixel. Callers
 * only read a mask, and decoded pixels are never changed in place (a changed buffer would get
 * its old mask back).
 */
const made = new WeakMap<Uint8Array, Uint8Array>();

export function edgeMask(r: Raster, step = EDGE_STEP): Uint8Array {
  if (step !== EDGE_STEP) return computeEdgeMask(r, step);
  const known = made.get(r.rgb);
  if (known) return known;
  const mask = computeEdgeMask(r, step);
  made.set(r.rgb, mask);
  return mask;
}

/**
 * Per-channel step of the faintest fill that still draws a box: a light grey tile (#f2f2f2) on
 * white, the usual frame of an icon in cloud reference diagrams, is a step of about a dozen.
 */
const FAINT_STEP = 8;

/**
 * The ink mask with faint fill edges too, for finding filled tiles only (faint-tiles.ts): lines,
 * icons and step circles are found on the ordinary mask, which JPEG noise does not reach.
 */
export function faintEdgeMask(r: Raster): Uint8Array {
  return computeEdgeMask(r, FAINT_STEP);
}

function computeEdgeMask(r: Raster, step: number): Uint8Array {
  const { width, height, rgb } = r;
  const mask = new Uint8Array(width * height);
  const row = width * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const o = i * 3;
      // A sharp step between neighbours marks both of them.
      if (x + 1 < width && channelStep(rgb, o, o + 3) > step) {
        mask[i] = 1;
        mask[i + 1] = 1;
      }
      if (y + 1 < height && channelStep(rgb, o, o + row) > step) {
        mask[i] = 1;
        mask[i + width] = 1;
      }
      // A step softened over two pixels (anti-aliasing, downscaling) shows across the pixel.
      if (mask[i]) continue;
      if (x > 0 && x + 1 < width && channelStep(rgb, o - 3, o + 3) > step) mask[i] = 1;
      else if (y > 0 && y + 1 < height && channelStep(rgb, o - row, o + row) > step) mask[i] = 1;
    }
  }
  return mask;
}

function channelStep(rgb: Uint8Array, a: number, b: number): number {
  const dr = rgb[a]! - rgb[b]!;
  const dg = rgb[a + 1]! - rgb[b + 1]!;
  const db = rgb[a + 2]! - rgb[b + 2]!;
  return Math.max(dr < 0 ? -dr : dr, dg < 0 ? -dg : dg, db < 0 ? -db : db);
}
