import sharp, { type Metadata, type Sharp } from "sharp";
import { AppError } from "@/lib/errors";
import { detectImageType, type AcceptedMimeType } from "@/lib/image/detect-type";

export interface ImageLimits {
  /** Decoded pixels allowed (width × height): the guard against decompression bombs. */
  maxPixels: number;
  /** The long edge of the image sent to the model; larger images are scaled down. */
  maxEdge: number;
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

  let header: Metadata;
  try {
    header = await sharp(path, options).metadata();
  } catch (error) {
    throw undecodable(error);
  }
  const { width, height } = header;
  if (!width || !height) throw undecodable();
  if (width * height > limits.maxPixels) {
    throw new AppError(
      "image_too_large",
      422,
      `The image is ${width.toLocaleString("en")} × ${height.toLocaleString("en")} pixels; at most ${limits.maxPixels.toLocaleString("en")} pixels are accepted.`,
    );
  }

  try {
    const pipeline = sharp(path, options)
      .rotate()
      // Transparent diagrams often have dark text on nothing: models see that as black on black.
      .flatten({ background: "#ffffff" })
      .resize({ width: limits.maxEdge, height: limits.maxEdge, fit: "inside", withoutEnlargement: true })
      .toColourspace("srgb");
    const { data, info } = await encodeForModel(pipeline);
    return {
      data,
      mimeType: info.format === "png" ? "image/png" : "image/jpeg",
      width: info.width,
      height: info.height,
      bytes: data.length,
      source: { mimeType: sourceType, width, height },
    };
  } catch (error) {
    throw undecodable(error);
  }
}

/**
 * PNG keeps the hard edges of small text in diagrams exactly; TODO measured choice.
 */
async function encodeForModel(pipeline: Sharp) {
  return pipeline.png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer({ resolveWithObject: true });
}

function undecodable(cause?: unknown): AppError {
  return new AppError(
    "invalid_image",
    422,
    "The image could not be decoded: the file is damaged or incomplete. Try exporting it again.",
    undefined,
    { cause },
  );
}
