import "server-only";
import sharp, { type Metadata } from "sharp";
import { AppError } from "@/lib/shared/errors";
import { detectImageType, type AcceptedMimeType } from "@/lib/image/detect-type";
import { countJpegScansInFile } from "@/lib/image/jpeg-scans";

// Every upload is a new file, deleted when its request ends: libvips' operation cache would only
// keep their handles and pixels alive after they are gone.
sharp.cache(false);

export interface ImageLimits {
  /** Decoded pixels allowed (width × height): the guard against decompression bombs. */
  maxPixels: number;
  /** The long edge of the image sent to the model; larger images are scaled down. */
  maxEdge: number;
  /** Longest sharp may work on one step (decode and resize, then encode); unbounded when absent. */
  timeoutSeconds?: number;
  /** Most scans a progressive JPEG may have; unbounded when absent. */
  maxJpegScans?: number;
}

export interface PreparedImage {
  data: Buffer;
  mimeType: AcceptedMimeType;
  width: number;
  height: number;
  bytes: number;
  /** What was uploaded, before preparation. */
  source: { mimeType: AcceptedMimeType; width: number; height: number };
}

/**
 * Turns an uploaded file into the image a model reads well: checked by content, decoded in full
 * under the pixel cap (so truncated files fail here, not at the model), turned upright by its
 * EXIF orientation, flattened onto white, scaled down to `maxEdge`, re-encoded without any
 * metadata (no GPS, no camera serials, no comments leave the server).
 */
export async function prepareImage(path: string, limits: ImageLimits): Promise<PreparedImage> {
  const sourceType = await detectImageType(path);
  const options = { limitInputPixels: limits.maxPixels, failOn: "truncated" } as const;
  const timeout = { seconds: limits.timeoutSeconds ?? 0 };
  if (sourceType === "image/jpeg" && limits.maxJpegScans !== undefined) await checkJpegScans(path, limits.maxJpegScans);

  let header: Metadata;
  try {
    // Reading the header decodes no pixels, so it runs without the cap to report the real size.
    header = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw undecodable(error);
  }
  const { width, height } = header;
  if (!width || !height) throw undecodable();
  if (width * height > limits.maxPixels) {
    throw new AppError("image_too_large", `The image is ${width.toLocaleString("en")} × ${height.toLocaleString("en")} pixels; at most ${limits.maxPixels.toLocaleString("en")} pixels are accepted.`);
  }

  let pixels: PixelsForModel;
  try {
    const { data, info } = await sharp(path, options)
      .timeout(timeout)
      .rotate()
      // Transparent diagrams often have dark text on nothing: models see that as black on black.
      .flatten({ background: "#ffffff" })
      .resize({ width: limits.maxEdge, height: limits.maxEdge, fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    pixels = { data, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw timedOut(error, limits.timeoutSeconds) ?? undecodable(error);
  }
  let encoded: { data: Buffer; mimeType: AcceptedMimeType };
  try {
    encoded = await encodeForModel(pixels, timeout);
  } catch (error) {
    throw timedOut(error, limits.timeoutSeconds) ?? error;
  }
  return {
    ...encoded,
    width: pixels.width,
    height: pixels.height,
    bytes: encoded.data.length,
    source: { mimeType: sourceType, width, height },
  };
}

/** The upright, flattened, scaled-down image, decoded: what `encodeForModel` turns into the file a model reads. */
interface PixelsForModel {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/** Above this, a lossless PNG is a photo's noise, not a diagram's flat colour (bits/px per image: bench/results/image-format.md). */
const PHOTO_BITS_PER_PIXEL = 6;
/** JPEG must be at least this many times smaller than the PNG to be worth its artefacts. */
const JPEG_MIN_SAVING = 4;

/**
 * The format is chosen by measurement (`npm run bench:image-format`; figures in
 * bench/results/image-format.md, discussed in docs/architecture.md):
 * - Diagrams are line art. Lossless PNG keeps the edges of small text exact, and JPEG q90 barely
 *   saves bytes on them, often none, while blurring glyph edges. WebP q90 is always 4:2:0 and
 *   smears coloured text; WebP lossless encodes far more slowly than PNG at level 6.
 * - Photos are the opposite: their PNG is large and JPEG q90 with 4:4:4 chroma is many times
 *   smaller with little loss, which keeps requests far below inline limits.
 * So: PNG at level 6 (much faster than level 9 with adaptive filtering, and no larger on
 * diagrams); only when it exceeds PHOTO_BITS_PER_PIXEL is JPEG tried, and kept if
 * JPEG_MIN_SAVING times smaller.
 */
async function encodeForModel(pixels: PixelsForModel, timeout: { seconds: number }): Promise<{ data: Buffer; mimeType: AcceptedMimeType }> {
  const raw = () => sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } }).timeout(timeout);
  const bitsPerPixel = (bytes: number) => (bytes * 8) / (pixels.width * pixels.height);
  const asJpeg = () =>
    // One pass, no optimised Huffman tables or trellis (mozjpeg): those keep every coefficient of
    // the image in memory at once, several times the raw pixels on a photo, for a few per cent of
    // bytes (bench/results/prepare-image.md measures the memory).
    raw().jpeg({ quality: 90, chromaSubsampling: "4:4:4", optimiseCoding: false }).toBuffer();

  // A large photo's lossless PNG is about as large as its pixels: encoding it only to throw it
  // away would hold both at once (bench/results/upload-memory.md). Strips of the image, encoded
  // alone, say which kind it is; only a clear photo skips the whole PNG.
  const sampled = pixels.data.length > SAMPLE_ABOVE_BYTES ? await sampleBitsPerPixel(pixels, timeout) : undefined;
  if (sampled !== undefined && sampled >= PHOTO_BITS_PER_PIXEL * SAMPLE_MARGIN) {
    const jpeg = await asJpeg();
    const pngEstimate = (sampled * pixels.width * pixels.height) / 8;
    if (jpeg.length * JPEG_MIN_SAVING <= pngEstimate) return { data: jpeg, mimeType: "image/jpeg" };
  }

  const png = await raw().png({ compressionLevel: 6 }).toBuffer();
  if (bitsPerPixel(png.length) <= PHOTO_BITS_PER_PIXEL) {
    return { data: png, mimeType: "image/png" };
  }
  const jpeg = await asJpeg();
  return jpeg.length * JPEG_MIN_SAVING <= png.length
    ? { data: jpeg, mimeType: "image/jpeg" }
    : { data: png, mimeType: "image/png" };
}

/** Larger decoded images are sampled before a whole PNG is encoded; smaller ones are cheap to encode twice. */
const SAMPLE_ABOVE_BYTES = 16 * 1024 * 1024;
/** How far past the photo threshold the strips must be for the whole PNG to be skipped. */
const SAMPLE_MARGIN = 1.25;
const SAMPLE_STRIPS = 8;
const SAMPLE_STRIP_ROWS = 64;

/**
 * Bits per pixel of a PNG of evenly spaced full-width strips of the image, at its own resolution
 * (a scaled-down copy would be denser than the image): close to the whole PNG's for a photo,
 * whose noise is everywhere.
 */
async function sampleBitsPerPixel(pixels: PixelsForModel, timeout: { seconds: number }): Promise<number> {
  const rowBytes = pixels.width * pixels.channels;
  const rows = Math.min(pixels.height, SAMPLE_STRIPS * SAMPLE_STRIP_ROWS);
  const strips = Buffer.allocUnsafe(rows * rowBytes);
  const stride = Math.floor(pixels.height / SAMPLE_STRIPS);
  for (let row = 0; row < rows; row++) {
    const sourceRow = rows === pixels.height ? row : Math.floor(row / SAMPLE_STRIP_ROWS) * stride + (row % SAMPLE_STRIP_ROWS);
    pixels.data.copy(strips, row * rowBytes, sourceRow * rowBytes, (sourceRow + 1) * rowBytes);
  }
  const png = await sharp(strips, { raw: { width: pixels.width, height: rows, channels: pixels.channels } })
    .timeout(timeout)
    .png({ compressionLevel: 6 })
    .toBuffer();
  return (png.length * 8) / (pixels.width * rows);
}

/**
 * A progressive JPEG is decoded once per scan: a small file of hundreds of scans would hold a
 * decoder (and one of libuv's threads) for as long as hundreds of images.
 */
async function checkJpegScans(path: string, maxScans: number) {
  const scans = await countJpegScansInFile(path, maxScans);
  if (scans > maxScans) {
    throw new AppError(
      "image_too_complex",
      `This JPEG is stored in more than ${maxScans} progressive scans (an ordinary one has about ten), which would take too long to decode. Export it again as PNG or as an ordinary JPEG.`,
    );
  }
}

/** sharp's own timeout, as the person's error; undefined for any other failure. */
function timedOut(error: unknown, seconds: number | undefined): AppError | undefined {
  if (!(error instanceof Error) || !/timeout/i.test(error.message)) return undefined;
  return new AppError(
    "image_too_complex",
    `The image took longer than ${seconds} s to decode and scale, the most one image may take. Export it again as PNG or as an ordinary JPEG, or at a smaller size.`, { cause: error },
  );
}

function undecodable(cause?: unknown): AppError {
  return new AppError("invalid_image", "The image could not be decoded: the file is damaged or incomplete. Try exporting it again.", { cause });
}
