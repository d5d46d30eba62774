/**
 * The image the layout stage works on: packed RGB at a bounded size. Diagrams far larger than
 * the working size are averaged down (area filter) so every later pass costs about the same
 * whatever was uploaded; a 1-pixel line stays visible after averaging, as a fainter line.
 */

import "server-only";
import type { RawPixels } from "@/lib/offline/types";

export type { RawPixels };

export interface Raster {
  width: number;
  height: number;
  /** Packed RGB, 3 bytes a pixel. */
  rgb: Uint8Array;
  /** Working pixels per source pixel (≤ 1). */
  scale: number;
}

/** Long side of the working image; a 1600×900 upload is used as it is. */
const WORKING_SIDE = 1600;

/**
 * Rasters already made, by the pixels they came from: finding the step markers and the layout
 * both work on the same image (and edgeMask keeps one mask per raster).
 */
const made = new WeakMap<Uint8Array, { source: RawPixels; raster: Raster }>();

export function toRaster(pixels: RawPixels, maxSide = WORKING_SIDE): Raster {
  if (maxSide !== WORKING_SIDE) return makeRaster(pixels, maxSide);
  const known = made.get(pixels.data);
  if (known && known.source === pixels) return known.raster;
  const raster = makeRaster(pixels, maxSide);
  made.set(pixels.data, { source: pixels, raster });
  return raster;
}

function makeRaster(pixels: RawPixels, maxSide: number): Raster {
  const { width, height, channels, data } = pixels;
  if (width <= 0 || height <= 0 || channels < 1 || data.length < width * height * channels) {
    throw new Error(`layout: pixel buffer does not hold ${width}×${height}×${channels}`);
  }
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (w === width && h === height) {
    if (channels === 3) return { width, height, rgb: data, scale: 1 };
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, o = 0; i < width * height; i++, o += channels) {
      rgb[i * 3] = data[o]!;
      rgb[i * 3 + 1] = data[channels >= 3 ? o + 1 : o]!;
      rgb[i * 3 + 2] = data[channels >= 3 ? o + 2 : o]!;
    }
    return { width, height, rgb, scale: 1 };
  }
  return { width: w, height: h, rgb: downscale(pixels, w, h), scale: w / width };
}

/** Source index ranges [from, to) that each target index averages. */
function spans(source: number, target: number): Int32Array {
  const out = new Int32Array(target + 1);
  for (let i = 0; i <= target; i++) out[i] = Math.round((i * source) / target);
  return out;
}

function downscale(src: RawPixels, width: number, height: number): Uint8Array {
  const { data, channels } = src;
  const xs = spans(src.width, width);
  const ys = spans(src.height, height);
  const g = channels >= 3 ? 1 : 0;
  const b = channels >= 3 ? 2 : 0;
  // Horizontal pass into per-row sums, then a vertical pass averaging those rows.
  const rows = new Float32Array(src.height * width * 3);
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < width; x++) {
      const x0 = xs[x]!;
      const x1 = Math.max(x0 + 1, xs[x + 1]!);
      let sr = 0, sg = 0, sb = 0;
      for (let sx = x0, o = (y * src.width + x0) * channels; sx < x1; sx++, o += channels) {
        sr += data[o]!;
        sg += data[o + g]!;
        sb += data[o + b]!;
      }
      const n = x1 - x0;
      const o = (y * width + x) * 3;
      rows[o] = sr / n;
      rows[o + 1] = sg / n;
      rows[o + 2] = sb / n;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const y0 = ys[y]!;
    const y1 = Math.max(y0 + 1, ys[y + 1]!);
    for (let x = 0; x < width; x++) {
      let sr = 0, sg = 0, sb = 0;
      for (let sy = y0; sy < y1; sy++) {
        const o = (sy * width + x) * 3;
        sr += rows[o]!;
        sg += rows[o + 1]!;
        sb += rows[o + 2]!;
      }
      const n = y1 - y0;
      const o = (y * width + x) * 3;
      rgb[o] = Math.round(sr / n);
      rgb[o + 1] = Math.round(sg / n);
      rgb[o + 2] = Math.round(sb / n);
    }
  }
  return rgb;
}
