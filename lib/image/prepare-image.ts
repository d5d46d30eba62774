import "server-only";
import sharp, { type Metadata, type Sharp, type SharpOptions } from "sharp";
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

  // Upright, flattened onto white (transparent diagrams often have dark text on nothing: models
  // see that as black on black), scaled down, in sRGB: what is encoded for the model.
  const forModel = () =>
    sharp(path, options)
      .timeout(timeout)
      .rotate()
      .flatten({ background: "#ffffff" })
      .resize({ width: limits.maxEdge, height: limits.maxEdge, fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb");

  let encoded: EncodedImage | undefined;
  if (scaledBytes(width, height, limits.maxEdge) > DIRECT_ABOVE_BYTES) {
    try {
      encoded = await encodeFromFile(forModel, await topStripBitsPerPixel(path, width, height, options, timeout));
    } catch (error) {
      throw timedOut(error, limits.timeoutSeconds) ?? undecodable(error);
    }
  }
  if (!encoded) {
    let pixels: PixelsForModel;
    try {
      const { data, info } = await forModel().raw().toBuffer({ resolveWithObject: true });
      pixels = { data, width: info.width, height: info.height, channels: info.channels };
    } catch (error) {
      throw timedOut(error, limits.timeoutSeconds) ?? undecodable(error);
    }
    try {
      encoded = await encodeForModel(pixels, timeout);
    } catch (error) {
      throw timedOut(error, limits.timeoutSeconds) ?? error;
    }
  }
  return { ...encoded, bytes: encoded.data.length, source: { mimeType: sourceType, width, height } };
}

interface EncodedImage {
  data: Buffer;
  mimeType: AcceptedMimeType;
  width: number;
  height: number;
}

/**
 * Above this many bytes of scaled-down pixels, the image is encoded straight from the file in one
 * libvips pipeline, never held decoded: a large image's pixels would otherwise sit in memory
 * beside libvips' own decoding buffers (bench/results/upload-memory.md measures both).
 */
const DIRECT_ABOVE_BYTES = 16 * 1024 * 1024;
/** Rows of the top of the image whose PNG tells a photo's noise from a diagram's flat colour. */
const STRIP_ROWS = 128;
/** How far past the photo threshold (either way) the strip must be for the image to be encoded straight from the file. */
const STRIP_MARGIN = 1.1;

/** The size of the RGB pixels the image is scaled down to. */
function scaledBytes(width: number, height: number, maxEdge: number): number {
  const scale = Math.min(1, maxEdge / Math.max(width, height));
  return Math.round(width * scale) * Math.round(height * scale) * 3;
}

/**
 * Bits per pixel of a PNG of the image's top rows, at its own resolution. The top is read first
 * from a file read in order, so nothing past it is decoded.
 */
async function topStripBitsPerPixel(path: string, width: number, height: number, options: SharpOptions, timeout: { seconds: number }): Promise<number> {
  const rows = Math.min(height, STRIP_ROWS);
  const png = await sharp(path, options)
    .timeout(timeout)
    .extract({ left: 0, top: 0, width, height: rows })
    .flatten({ background: "#ffffff" })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return (png.length * 8) / (width * rows);
}

/**
 * Encodes straight from the file as the top rows suggest: a clear photo as JPEG (kept if a quarter
 * of the PNG they predict), a clear diagram as PNG; when the guess was wrong, the other format is
 * encoded from the file too and the usual rule decides. Undefined when the rows are not clear
 * either way: the caller then decodes the pixels once and chooses from them.
 */
async function encodeFromFile(forModel: () => Sharp, stripBitsPerPixel: number): Promise<EncodedImage | undefined> {
  if (stripBitsPerPixel >= PHOTO_BITS_PER_PIXEL * STRIP_MARGIN) {
    const jpeg = await encodeAs(forModel, "image/jpeg");
    if (jpeg.data.length * JPEG_MIN_SAVING <= (stripBitsPerPixel * jpeg.width * jpeg.height) / 8) return jpeg;
    return chooseFormat(await encodeAs(forModel, "image/png"), async () => jpeg);
  }
  if (stripBitsPerPixel > PHOTO_BITS_PER_PIXEL / STRIP_MARGIN) return undefined;
  return chooseFormat(await encodeAs(forModel, "image/png"), () => encodeAs(forModel, "image/jpeg"));
}

/** The image from `source`, encoded as `mimeType` with the options the model gets. */
async function encodeAs(source: () => Sharp, mimeType: AcceptedMimeType): Promise<EncodedImage> {
  const pipeline = mimeType === "image/jpeg" ? source().jpeg(JPEG_OPTIONS) : source().png(PNG_OPTIONS);
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  return { data, mimeType, width: info.width, height: info.height };
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
 * JPEG_MIN_SAVING times smaller. Large images are routed by their top rows instead
 * (`encodeFromFile`): a diagram under a full-width photo banner may then go as JPEG, legible still.
 */
async function encodeForModel(pixels: PixelsForModel, timeout: { seconds: number }): Promise<EncodedImage> {
  const raw = () => sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } }).timeout(timeout);
  return chooseFormat(await encodeAs(raw, "image/png"), () => encodeAs(raw, "image/jpeg"));
}

/** The rule above: the PNG, unless it is a photo's and its JPEG is JPEG_MIN_SAVING times smaller. */
async function chooseFormat(png: EncodedImage, jpeg: () => Promise<EncodedImage>): Promise<EncodedImage> {
  if ((png.data.length * 8) / (png.width * png.height) <= PHOTO_BITS_PER_PIXEL) return png;
  const candidate = await jpeg();
  return candidate.data.length * JPEG_MIN_SAVING <= png.data.length ? candidate : png;
}

const PNG_OPTIONS = { compressionLevel: 6 } as const;
/**
 * One pass, no optimised Huffman tables or trellis (mozjpeg): those keep every coefficient of the
 * image in memory at once, several times the raw pixels on a photo, for a few per cent of bytes
 * (bench/results/prepare-image.md measures the memory).
 */
const JPEG_OPTIONS = { quality: 90, chromaSubsampling: "4:4:4", optimiseCoding: false } as const;

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
