import sharp from "sharp";
import { diagramPng } from "../helpers/images";
import { mulberry32 } from "../helpers/random";

/** Images the browser specs need beyond tests/helpers/images.ts: sized for uploads and the image store. */

/**
 * The serverless diagram 4000 px wide, saved without compression, as some exporters do: about
 * 25 MB to upload, enough to watch its progress, yet quick for the server to prepare.
 */
export async function bigDiagramPng(): Promise<Buffer> {
  return sharp(await diagramPng(4000)).png({ compressionLevel: 0 }).toBuffer();
}

/**
 * Random speckles of three shades per channel: about 5.6 bits a pixel, so the server keeps it a
 * lossless PNG of about the upload's size (0.67 MiB at 1000 × 1000), which makes its share of the
 * image store predictable. `seed` makes different images of the same size.
 */
export async function specklesPng(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  // mulberry32: a plain LCG's patterns would compress and shrink the image unpredictably.
  const next = mulberry32(seed);
  for (let index = 0; index < pixels.length; index++) pixels[index] = 96 + 64 * (next() % 3);
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();
}
