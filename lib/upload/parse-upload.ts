import "server-only";
import { createWriteStream, type WriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { AppError } from "@/lib/shared/errors";
import { ANALYZE_FIELDS } from "@/lib/shared/analyze-contract";
import { ensureUploadDirectory, newUploadPath } from "@/lib/upload/upload-directory";

/**
 * The text fields: the task, and a follow-up's earlier turns (at most 200,000 characters, as
 * JSON). A bound, not a check: analyze-form explains the limits in characters.
 */
const MAX_FIELDS_BYTES = 2 * 1024 * 1024;
/** The form has five text fields; a few spare for forms of older pages. */
const MAX_FIELDS = 10;
/** The image, and at most one more file, so that a second one is refused as such. */
const MAX_PARTS = MAX_FIELDS + 1;
/**
 * Room for the text fields and the multipart envelope around the file. The whole body, chunked
 * or not, must fit in the file's limit plus this.
 */
const ENVELOPE_ALLOWANCE_BYTES = MAX_FIELDS_BYTES + 64 * 1024;
/**
 * busboy's own bound on one part's headers (it is not configurable): it refuses a longer header
 * block before parsing any value in it, and parses in linear time what it keeps.
 */
export const MAX_PART_HEADER_BYTES = 16 * 1024;

/**
 * Multipart boundaries are at most 70 characters (RFC 2046), so a browser's content type is short.
 * The boundary search compares up to the boundary's length at each position of the body: a
 * boundary of kilobytes would multiply the cost of every byte.
 */
const MAX_CONTENT_TYPE_LENGTH = 256;

export const DEFAULT_UPLOAD_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_UPLOAD_TIMEOUT_MS = 600_000;

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
  /** Longest wait for the next piece of the body. */
  idleTimeoutMs?: number;
  /** Longest time the whole body may take. */
  timeoutMs?: number;
}

/**
 * Streams a multipart request to a temporary file with busboy, so a 200 MB upload never sits in
 * memory, within hard bounds on every part of the body: header size, number of parts and files,
 * text size, total size and time. On any failure the temporary file is removed before the error
 * propagates; on success the caller owns the file and must call `cleanup()`.
 */
export async function parseUpload(request: Request, limits: UploadLimits): Promise<ParsedUpload> {
  const maxBodyBytes = limits.maxFileBytes + ENVELOPE_ALLOWANCE_BYTES;
  const declaredLength = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declaredLength > maxBodyBytes) throw fileTooLarge(limits.maxFileBytes);
  if (!request.body) throw missingImage();
  const parser = createParser(request.headers.get("content-type"), limits.maxFileBytes);
  await ensureUploadDirectory(limits.directory);

  const reader = request.body.getReader();
  const upload = new UploadInProgress(parser, limits);
  const idleTimeoutMs = limits.idleTimeoutMs ?? DEFAULT_UPLOAD_IDLE_TIMEOUT_MS;
  const deadline = Date.now() + (limits.timeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS);
  const timeLeft = () => Math.min(idleTimeoutMs, deadline - Date.now());
  const timeoutError = () =>
    Date.now() >= deadline
      ? uploadTimeout(`The upload took longer than ${seconds(limits.timeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS)} seconds.`)
      : uploadTimeout(`The upload stalled: nothing arrived for ${seconds(idleTimeoutMs)} seconds.`);

  let received = 0;
  try {
    for (;;) {
      const next = await upload.within(reader.read(), timeLeft(), timeoutError);
      if (next.done) break;
      received += next.value.byteLength;
      if (received > maxBodyBytes) throw fileTooLarge(limits.maxFileBytes);
      if (!parser.write(next.value)) await upload.within(upload.drained(), timeLeft(), timeoutError);
      upload.throwIfFailed();
    }
    parser.end();
    const fields = await upload.within(upload.finished(), timeLeft(), timeoutError);
    return { ...fields, cleanup: () => upload.removeFile() };
  } catch (error) {
    upload.fail(error);
    await upload.removeFile();
    // Closing a connection with unread bytes resets it, and the client loses the response it has
    // not read yet: what is left of a declared body is read, and as much again as the limit of a
    // chunked one.
    const drainBytes = Number.isFinite(declaredLength) ? Math.max(0, declaredLength - received) : maxBodyBytes;
    drainInBackground(reader, { maxBytes: drainBytes, idleTimeoutMs, deadline: Math.max(deadline, Date.now() + idleTimeoutMs) });
    throw toUploadError(error);
  }
}

function createParser(contentType: string | null, maxFileBytes: number): busboy.Busboy {
  // busboy also reads URL-encoded bodies; this route takes multipart only.
  if (!contentType || contentType.length > MAX_CONTENT_TYPE_LENGTH || !/^multipart\/form-data\s*;/i.test(contentType)) {
    throw notMultipart();
  }
  try {
    return busboy({
      headers: { "content-type": contentType },
      limits: {
        // busboy reports reaching its limit, not passing it: one byte more tells a file of
        // exactly the limit from a larger one.
        fileSize: maxFileBytes + 1,
        files: 1,
        fields: MAX_FIELDS,
        fieldSize: MAX_FIELDS_BYTES,
        // busboy counts the boundary that opens the first part as well as the closing one.
        parts: MAX_PARTS + 2,
      },
    });
  } catch {
    throw notMultipart(); // no boundary, or a content type busboy cannot parse
  }
}

/** The state of one upload: the parsed fields, the temporary file, and the first failure. */
class UploadInProgress {
  /** A map, not an object: a field may be named `__proto__`. The first value of a name wins. */
  private readonly fields = new Map<string, string>();
  private fieldsBytes = 0;
  private fileCount = 0;
  private image: { path: string; stream: WriteStream; written: Promise<void> } | undefined;
  private failure: unknown;
  /** The waits in progress, told of the first failure. */
  private readonly failureListeners = new Set<(error: unknown) => void>();
  private readonly closed: Promise<void>;

  constructor(
    private readonly parser: busboy.Busboy,
    private readonly limits: UploadLimits,
  ) {
    this.closed = new Promise((resolve) => parser.once("close", resolve));
    parser.on("field", (name, value, info) => {
      this.fieldsBytes += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (info.valueTruncated || this.fieldsBytes > MAX_FIELDS_BYTES) this.fail(fieldsTooLarge());
      else if (!this.fields.has(name)) this.fields.set(name, value);
    });
    parser.on("file", (name, stream) => this.receiveFile(name, stream));
    parser.on("filesLimit", () => this.fail(tooManyFiles()));
    parser.on("fieldsLimit", () => this.fail(fieldsTooLarge()));
    parser.on("partsLimit", () => this.fail(fieldsTooLarge()));
    parser.on("error", (error) => this.fail(error));
  }

  private receiveFile(name: string | undefined, stream: Readable) {
    this.fileCount++;
    // A file under another name is counted, not stored: only the image is ever written to disk,
    // and nothing is opened once the upload has failed.
    if (name !== ANALYZE_FIELDS.image || this.failure !== undefined) {
      stream.resume();
      return;
    }
    const path = newUploadPath(this.limits.directory);
    const file = createWriteStream(path, { flags: "wx", mode: 0o600 });
    stream.once("limit", () => this.fail(fileTooLarge(this.limits.maxFileBytes)));
    this.image = {
      path,
      stream: file,
      written: pipeline(stream, file).catch((error: unknown) => {
        this.fail(error);
        throw error;
      }),
    };
    this.image.written.catch(() => undefined);
  }

  fail(error: unknown) {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (const listener of this.failureListeners) listener(error);
    // Not from inside busboy's own event: it still uses its state after emitting.
    process.nextTick(() => this.parser.destroy());
  }

  throwIfFailed() {
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Waits for `promise`, unless the upload fails first or `ms` pass. Not a `Promise.race` with a
   * promise of the failure: a race leaves a reaction on a promise that stays pending, and each
   * reaction would keep its read's chunk alive, the whole body by the end of the upload.
   */
  async within<T>(promise: Promise<T>, ms: number, onTimeout: () => AppError): Promise<T> {
    this.throwIfFailed();
    let timer: NodeJS.Timeout | undefined;
    let listener: ((error: unknown) => void) | undefined;
    try {
      return await new Promise<T>((resolve, reject) => {
        listener = reject;
        this.failureListeners.add(listener);
        timer = setTimeout(() => reject(onTimeout()), Math.max(0, ms));
        promise.then(resolve, reject);
      });
    } finally {
      clearTimeout(timer);
      if (listener) this.failureListeners.delete(listener);
    }
  }

  /** busboy asks for no more until the file on disk has caught up. */
  drained(): Promise<void> {
    return new Promise((resolve) => this.parser.once("drain", resolve));
  }

  /** Every part has been read and the file is on disk. */
  async finished(): Promise<Omit<ParsedUpload, "cleanup">> {
    await this.closed;
    await this.image?.written;
    this.throwIfFailed();
    if (this.fileCount > 1) throw tooManyFiles();
    if (this.fileCount > 0 && !this.image) throw missingImage();
    const bytes = this.image?.stream.bytesWritten;
    if (this.image && bytes === 0) throw new AppError("empty_file", "The uploaded file is empty.");
    return { file: this.image && { path: this.image.path, bytes: bytes ?? 0 }, fields: Object.fromEntries(this.fields) };
  }

  /** Closes the file stream before deleting the file, so that no late write recreates it. */
  async removeFile(): Promise<void> {
    const image = this.image;
    if (!image) return;
    if (!image.stream.closed) {
      const closed = new Promise<void>((resolve) => image.stream.once("close", () => resolve()));
      image.stream.destroy();
      await closed;
    }
    await rm(image.path, { force: true });
  }
}

/**
 * After a refusal the rest of the body is read and dropped, so that a client still sending sees
 * the error response rather than a reset connection; within bounds, so that a hostile client
 * cannot hold the connection: then the body is cancelled.
 */
function drainInBackground(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  { maxBytes, idleTimeoutMs, deadline }: { maxBytes: number; idleTimeoutMs: number; deadline: number },
) {
  const stop = () => reader.cancel().catch(() => undefined);
  void (async () => {
    let drained = 0;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), Math.max(0, Math.min(idleTimeoutMs, deadline - Date.now())));
      });
      const next = await Promise.race([reader.read(), timedOut]).finally(() => clearTimeout(timer));
      if (next === "timeout") return stop();
      if (next.done) return;
      drained += next.value.byteLength;
      if (drained > maxBytes) return stop();
    }
  })().catch(() => undefined);
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
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

function fieldsTooLarge(): AppError {
  return new AppError("invalid_request", "The form has too many or too large text fields.");
}

function notMultipart(): AppError {
  return new AppError("invalid_request", "Send the image and task as multipart/form-data.");
}

function uploadTimeout(message: string): AppError {
  return new AppError("upload_timeout", `${message} Check the connection and send the image again.`);
}

function toUploadError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : "";
  if (message === "Malformed part header") {
    return new AppError(
      "invalid_request",
      `A part of the form has a malformed header, or one longer than ${MAX_PART_HEADER_BYTES / 1024} KB.`,
    );
  }
  if (message === "Unexpected end of form") {
    return new AppError("invalid_request", "The upload was interrupted before it finished.");
  }
  if (/^(Malformed|Unexpected)/.test(message)) return notMultipart();
  // A client that disconnects mid-upload surfaces as a stream error of its own.
  return new AppError("invalid_request", "The upload could not be read. Please try again.", {
    cause: error,
  });
}
