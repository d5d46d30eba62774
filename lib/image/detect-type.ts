import "server-only";
import { fileTypeFromFile } from "file-type";
import { AppError } from "@/lib/shared/errors";

export type AcceptedMimeType = "image/jpeg" | "image/png";

const ACCEPTED = new Set<string>(["image/jpeg", "image/png"]);

/**
 * Judges a file by its first bytes, never by its name or the browser's claim: a PDF renamed to
 * diagram.png is still a PDF. Only JPEG and PNG get past this point, so no other decoder (SVG,
 * TIFF, HEIF…) ever sees user input.
 */
export async function detectImageType(path: string): Promise<AcceptedMimeType> {
  const detected = await fileTypeFromFile(path);
  if (detected && ACCEPTED.has(detected.mime)) return detected.mime as AcceptedMimeType;
  const what = detected ? `a ${detected.ext.toUpperCase()} file (${detected.mime})` : "not an image this server can read";
  throw new AppError("unsupported_media_type", `Only JPEG and PNG images are accepted; this file is ${what}.`);
}
