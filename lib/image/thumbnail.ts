import "server-only";
import sharp from "sharp";

/** The thumbnail's long edge, in pixels: the history list shows it at a fraction of this. */
export const THUMBNAIL_EDGE = 320;

/**
 * A small JPEG of a prepared image for the history list. The image was checked and bounded when
 * it was prepared, so this is a short job on libuv's pool, never the event loop.
 */
export async function makeThumbnail(prepared: Buffer): Promise<Buffer> {
  return sharp(prepared, { failOn: "none" })
    .resize({ width: THUMBNAIL_EDGE, height: THUMBNAIL_EDGE, fit: "inside", withoutEnlargement: true })
    .flatten({ background: "#ffffff" })
    .jpeg({ quality: 75, mozjpeg: true })
    .toBuffer();
}
