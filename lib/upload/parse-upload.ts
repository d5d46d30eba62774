import "server-only";
import { randomUUID } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import formidable, { errors as formidableErrors, multipart } from "formidable";
import { AppError } from "@/lib/shared/errors";
import { ANALYZE_FIELDS } from "@/lib/shared/analyze-contract";

/**
 * The text fields: the task, and a follow-up's earlier turns (at most 200,000 characters, as
 * JSON). A bound, not a check: analyze-form explains the limits in characters.
 */
const MAX_FIELDS_BYTES = 2 * 1024 * 1024;
/** Room for the text fields and the multipart envelope around the file itself. */
const ENVELOPE_ALLOWANCE_BYTES = MAX_FIELDS_BYTES + 64 * 1024;

export interface UploadedFile {
  path: string;
  bytes: number;
}

export interface ParsedUpload {
  /** Absent when the request names an image the server kept instead of sending one. */
  file: UploadedFile | undefined;
  fields: Record<string, string>;
  /** Deletes the temporary file. Safe to call more than once. */
  cleanup(): Promise<void>;
}

export interface UploadLimits {
  maxFileBytes: number;
  directory: string;
}

/**
 * Streams a multipart request to a temporary file with formidable, so a 200 MB upload never sits
 * in memory. On any failure every temporary file written so far is removed before the error
 * propagates; on success the caller owns the file and must call `cleanup()`.
 */
export async function parseUpload(request: Request, limits: UploadLimits): Promise<ParsedUpload> {
  const declaredLength = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declaredLength > limits.maxFileBytes + ENVELOPE_ALLOWANCE_BYTES) throw fileTooLarge(limits.maxFileBytes);
  if (!request.body) throw missingImage();

  // This module opens every file stream itself, so that it can close each one before deleting
  // its file: formidable keeps writing (or opening) a file it has already failed on, and a file
  // deleted before its stream opened would reappear.
  const streams = new Map<string, WriteStream>();
  const pathOfFile = new WeakMap<object, string>();
  const openFile = (file: object) => {
    const path = join(limits.directory, `upload-${randomUUID()}`);
    const stream = createWriteStream(path);
    streams.set(path, stream);
    pathOfFile.set(file, path);
    return stream;
  };
  const removeAll = async () => {
    const open = [...streams];
    streams.clear();
    await Promise.all(
      open.map(async ([path, stream]) => {
        stream.destroy();
        await finished(stream).catch(() => undefined);
        await rm(path, { force: true });
      }),
    );
  };

  const form = formidable({
    // Multipart only: formidable's other parsers ignore maxFileSize (octet-stream) or buffer the
    // whole body in memory (JSON, URL-encoded).
    enabledPlugins: [multipart],
    maxFiles: 1,
    maxFileSize: limits.maxFileBytes,
    maxTotalFileSize: limits.maxFileBytes,
    maxFields: 10,
    maxFieldsSize: MAX_FIELDS_BYTES,
    allowEmptyFiles: true, // an empty file gets our own clearer message below
    minFileSize: 0,
    keepExtensions: false, // the name is the client's claim; nothing downstream trusts it
    fileWriteStreamHandler: (file) => {
      // formidable always passes the file; its typings say it may not.
      if (!file) throw new Error("formidable opened a file stream without a file");
      return openFile(file);
    },
  });

  const body = Readable.fromWeb(request.body as unknown as NodeWebReadableStream<Uint8Array>);
  // formidable only listens to the stream's events and reads `headers`: a Readable with headers is enough.
  const nodeRequest = Object.assign(body, { headers: nodeHeaders(request.headers) }) as unknown as IncomingMessage;

  try {
    const [fields, files] = await form.parse(nodeRequest);
    const imageFiles = files[ANALYZE_FIELDS.image] ?? [];
    const allFiles = Object.values(files).flatMap((list) => list ?? []);
    if (allFiles.length > 1) throw tooManyFiles();
    const image = imageFiles[0];
    if (allFiles.length > 0 && !image) throw missingImage();
    if (image?.size === 0) throw new AppError("empty_file", "The uploaded file is empty.");
    const path = image && pathOfFile.get(image);
    if (image && !path) throw new Error("formidable reported a file this module did not open");
    return {
      file: image && path ? { path, bytes: image.size } : undefined,
      fields: Object.fromEntries(
        Object.entries(fields).flatMap(([name, values]) => (values?.[0] === undefined ? [] : [[name, values[0]]])),
      ),
      cleanup: removeAll,
    };
  } catch (error) {
    // The body is left to drain rather than destroyed: a client still sending would otherwise
    // see a reset connection instead of the error response.
    await removeAll();
    throw toUploadError(error, limits.maxFileBytes);
  }
}

/**
 * formidable reads `req.headers` as Node does: lower-case names. Without a content-length it
 * must be told the body is chunked, or it picks no parser and fails without a useful error.
 */
function nodeHeaders(headers: Headers): Record<string, string> {
  const result = Object.fromEntries(headers.entries());
  if (!result["content-length"] && !result["transfer-encoding"]) result["transfer-encoding"] = "chunked";
  return result;
}

function fileTooLarge(maxBytes: number): AppError {
  return new AppError("file_too_large", `The image is larger than the ${Math.round(maxBytes / (1024 * 1024))} MB limit.`);
}

export function missingImage(): AppError {
  return new AppError("missing_image", `Attach an image in the '${ANALYZE_FIELDS.image}' field.`);
}

function tooManyFiles(): AppError {
  return new AppError("too_many_files", "Send exactly one image per request.");
}

function toUploadError(error: unknown, maxBytes: number): AppError {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown }).code;
  switch (code) {
    case formidableErrors.biggerThanMaxFileSize:
    case formidableErrors.biggerThanTotalMaxFileSize:
      return fileTooLarge(maxBytes);
    case formidableErrors.maxFilesExceeded:
      return tooManyFiles();
    case formidableErrors.maxFieldsExceeded:
    case formidableErrors.maxFieldsSizeExceeded:
      return new AppError("invalid_request", "The form has too many or too large text fields.");
    case formidableErrors.aborted:
      return new AppError("invalid_request", "The upload was interrupted before it finished.");
    case formidableErrors.noParser:
    case formidableErrors.missingContentType:
    case formidableErrors.missingMultipartBoundary:
    case formidableErrors.malformedMultipart:
      return new AppError("invalid_request", "Send the image and task as multipart/form-data.");
    default:
      // A client that disconnects mid-upload surfaces as a stream error with no formidable code.
      return new AppError("invalid_request", "The upload could not be read. Please try again.", { cause: error });
  }
}
