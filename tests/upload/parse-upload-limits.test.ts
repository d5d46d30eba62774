import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { MAX_PART_HEADER_BYTES, parseUpload, type UploadLimits } from "@/lib/upload/parse-upload";
import {
  HOSTILE_CONTENT_TYPE,
  hugeFilenameBody,
  imagePartOpening,
  longHeaderNameOpening,
  manyFieldsBody,
  namelessPartsBody,
  tinyImagePartsBody,
} from "@/tests/helpers/hostile-bodies";

/**
 * The attack kit's bodies against the parser alone: each is refused with a clear error, quickly,
 * having read no more than it must, and leaving no file behind.
 */

const URL_ = "http://localhost/api/analyze";
const KB = 1024;
/** Far above what any refusal below takes, far below the seconds the quadratic parser took. */
const QUICK_MS = 1_000;

let directory: string;
let limits: UploadLimits;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "mra-upload-limits-"));
  limits = { maxFileBytes: 256 * KB, directory, idleTimeoutMs: 5_000, timeoutMs: 10_000 };
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

interface Sent {
  request: Request;
  /** Bytes the parser has pulled from the body so far. */
  pulled(): number;
}

/** A chunked request whose body is `chunks`, pulled one at a time; `pause` ms between chunks. */
function streamed(chunks: Iterable<Buffer>, { pause = 0, contentType = HOSTILE_CONTENT_TYPE } = {}): Sent {
  const iterator = chunks[Symbol.iterator]();
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
      const next = iterator.next();
      if (next.done) return controller.close();
      pulled += next.value.length;
      controller.enqueue(new Uint8Array(next.value));
    },
  });
  const request = new Request(URL_, { method: "POST", body, headers: { "content-type": contentType }, duplex: "half" } as RequestInit);
  return { request, pulled: () => pulled };
}

/** `whole` in pieces of `size`, as a socket delivers a body. */
function* pieces(whole: Buffer, size = 64 * KB): Generator<Buffer> {
  for (let offset = 0; offset < whole.length; offset += size) yield whole.subarray(offset, offset + size);
}

function* repeated(chunk: Buffer, times: number): Generator<Buffer> {
  for (let index = 0; index < times; index++) yield chunk;
}

async function refusal(promise: Promise<unknown>): Promise<{ error: AppError; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return { error, ms: performance.now() - started };
    throw error;
  }
  throw new Error("expected an AppError");
}

async function filesLeft(): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return readdir(directory);
}

describe("parseUpload against hostile bodies", () => {
  it("refuses a part header of hundreds of KB (a filename parameter repeated) quickly, with 400", async () => {
    const body = hugeFilenameBody();
    expect(body.length).toBeGreaterThan(500 * KB);
    const { error, ms } = await refusal(parseUpload(streamed(pieces(body)).request, limits));
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(error.message).toContain(`${MAX_PART_HEADER_BYTES / KB} KB`);
    expect(ms).toBeLessThan(QUICK_MS);
    expect(await filesLeft()).toEqual([]);
  });

  it("refuses a header name that never ends once it passes the header limit, not at the end of the body", async () => {
    const letters = Buffer.alloc(64 * KB, "a");
    const sent = streamed([longHeaderNameOpening(), ...repeated(letters, 64)]);
    const { error, ms } = await refusal(parseUpload(sent.request, limits));
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(ms).toBeLessThan(QUICK_MS);
    expect(await filesLeft()).toEqual([]);
  });

  it.each([3, 2_000])("refuses %i files in the image field with 400 too_many_files, leaving no file", async (count) => {
    const { error, ms } = await refusal(parseUpload(streamed(pieces(tinyImagePartsBody(count))).request, limits));
    expect(error).toMatchObject({ code: "too_many_files", status: 400 });
    expect(ms).toBeLessThan(QUICK_MS);
    expect(await filesLeft()).toEqual([]);
  });

  it("refuses a boundary far longer than the 70 characters multipart allows, before reading the body", async () => {
    const sent = streamed([Buffer.alloc(64 * KB, "a")], { contentType: `multipart/form-data; boundary=${"a".repeat(8 * KB)}` });
    const { error } = await refusal(parseUpload(sent.request, limits));
    expect(error).toMatchObject({ code: "invalid_request", status: 400, message: expect.stringContaining("multipart/form-data") });
    expect(sent.request.body?.locked).toBe(false);
  });

  it("refuses more text fields than a form has with 400", async () => {
    const { error } = await refusal(parseUpload(streamed([manyFieldsBody(11)]).request, limits));
    expect(error).toMatchObject({ code: "invalid_request", status: 400, message: "The form has too many or too large text fields." });
  });

  it("accepts as many text fields as the limit allows", async () => {
    const parsed = await parseUpload(streamed([manyFieldsBody(10)]).request, limits);
    expect(Object.keys(parsed.fields)).toHaveLength(10);
    await parsed.cleanup();
  });

  it("keeps a field named __proto__ as a plain field, and the first of two fields with one name", async () => {
    const form = new FormData();
    form.append("__proto__", "polluted");
    form.append("prompt", "first");
    form.append("prompt", "second");
    const parsed = await parseUpload(new Request(URL_, { method: "POST", body: form }), limits);
    expect(Object.getPrototypeOf(parsed.fields)).toBe(Object.prototype);
    expect(Object.entries(parsed.fields)).toEqual([
      ["__proto__", "polluted"],
      ["prompt", "first"],
    ]);
    await parsed.cleanup();
  });

  it("refuses thousands of parts that carry no field at all with 400", async () => {
    const { error, ms } = await refusal(parseUpload(streamed(pieces(namelessPartsBody(2_000))).request, limits));
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(ms).toBeLessThan(QUICK_MS);
  });

  it("refuses a chunked body over the total limit with 413 even when no part is over its own", async () => {
    // A preamble before the first boundary belongs to no part: only the total bound stops it.
    const filler = Buffer.alloc(64 * KB, "p");
    const sent = streamed(repeated(filler, 100));
    const { error } = await refusal(parseUpload(sent.request, limits));
    expect(error).toMatchObject({ code: "file_too_large", status: 413 });
    expect(await filesLeft()).toEqual([]);
  });

  it("refuses a chunked file over the limit with 413 and removes what was written", async () => {
    const sent = streamed([imagePartOpening(), ...repeated(Buffer.alloc(64 * KB, 1), 10)]);
    const { error } = await refusal(parseUpload(sent.request, limits));
    expect(error).toMatchObject({ code: "file_too_large", status: 413 });
    expect(await filesLeft()).toEqual([]);
  });

  it("answers an upload that stalls with 408 upload_timeout after the idle timeout, removing the partial file", async () => {
    let sentOpening = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sentOpening) return new Promise(() => undefined); // never sends again
        sentOpening = true;
        controller.enqueue(new Uint8Array(Buffer.concat([imagePartOpening(), Buffer.alloc(10 * KB)])));
      },
    });
    const request = new Request(URL_, { method: "POST", body, headers: { "content-type": HOSTILE_CONTENT_TYPE }, duplex: "half" } as RequestInit);
    const { error, ms } = await refusal(parseUpload(request, { ...limits, idleTimeoutMs: 300 }));
    expect(error).toMatchObject({ code: "upload_timeout", status: 408 });
    expect(error.message).toContain("stalled");
    expect(ms).toBeGreaterThanOrEqual(250);
    expect(ms).toBeLessThan(300 + QUICK_MS);
    expect(await filesLeft()).toEqual([]);
  });

  it("answers an upload that keeps trickling past the total timeout with 408 upload_timeout", async () => {
    const sent = streamed([imagePartOpening(), ...repeated(Buffer.alloc(16, 1), 1_000)], { pause: 20 });
    // The idle timeout far beyond the test: on a busy machine a late timer must not make this the stall case.
    const { error, ms } = await refusal(parseUpload(sent.request, { ...limits, idleTimeoutMs: 30_000, timeoutMs: 400 }));
    expect(error).toMatchObject({ code: "upload_timeout", status: 408 });
    expect(error.message).toContain("took longer");
    expect(ms).toBeLessThan(400 + QUICK_MS);
    expect(await filesLeft()).toEqual([]);
  });

  it("writes nothing but the one image to the upload directory", async () => {
    const sent = streamed([imagePartOpening(), Buffer.from(`\r\n--hostile-boundary-5c1e--\r\n`)]);
    const parsed = await parseUpload(sent.request, limits);
    expect(await readdir(directory)).toEqual([path.basename(parsed.file!.path)]);
    expect(path.basename(parsed.file!.path)).toMatch(/^mra-upload-/);
    await parsed.cleanup();
    expect(await readdir(directory)).toEqual([]);
  });

  it("creates the upload directory when it is missing", async () => {
    const nested = path.join(directory, "gone", "uploads");
    const sent = streamed([imagePartOpening(), Buffer.from(`\r\n--hostile-boundary-5c1e--\r\n`)]);
    const parsed = await parseUpload(sent.request, { ...limits, directory: nested });
    expect(path.dirname(parsed.file!.path)).toBe(nested);
    await parsed.cleanup();
  });
});
