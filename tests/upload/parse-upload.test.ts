import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { parseUpload, type ParsedUpload, type UploadLimits } from "@/lib/upload/parse-upload";
import { diagramPng } from "@/tests/helpers/images";

const URL_ = "http://localhost/api/analyze";
const MB = 1024 * 1024;

let directory: string;
let limits: UploadLimits;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "mra-upload-test-"));
  limits = { maxFileBytes: 64 * 1024, directory };
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

function multipart(entries: Array<[string, string | File]>): Request {
  const form = new FormData();
  for (const [name, value] of entries) form.append(name, value);
  return new Request(URL_, { method: "POST", body: form });
}

function png(bytes: Uint8Array, name = "diagram.png"): File {
  return new File([new Uint8Array(bytes)], name, { type: "image/png" });
}

/** V8's collector, which tests of what stays in memory call to leave only what is still referenced. */
function collectGarbage(): () => void {
  v8.setFlagsFromString("--expose-gc");
  return vm.runInNewContext("gc") as () => void;
}

/** The stored file of an upload that must have one. */
function fileOf(upload: ParsedUpload) {
  if (!upload.file) throw new Error("expected the upload to carry a file");
  return upload.file;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

/**
 * The files left in the upload directory once pending file-system work has settled: a file
 * created after the error was reported would otherwise go unnoticed.
 */
async function filesLeft(): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return readdir(directory);
}

async function bytesInDirectory(): Promise<number> {
  const names = await readdir(directory);
  const sizes = await Promise.all(names.map((name) => stat(path.join(directory, name)).then((info) => info.size, () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

describe("parseUpload", () => {
  let parsed: ParsedUpload | undefined;
  afterEach(async () => {
    await parsed?.cleanup();
    parsed = undefined;
  });

  it("writes the image to the upload directory and reads the text fields", async () => {
    const image = await diagramPng(200);
    parsed = await parseUpload(
      multipart([
        ["prompt", "Explain this architecture"],
        ["image", png(image)],
      ]),
      limits,
    );
    const file = fileOf(parsed);
    expect(path.dirname(file.path)).toBe(directory);
    expect(await readFile(file.path)).toEqual(image);
    // Only what the server trusts: where the bytes are and how many. The client's name and type are not kept.
    expect(file).toEqual({ path: file.path, bytes: image.length });
    expect(parsed.fields).toEqual({ prompt: "Explain this architecture" });
  });

  it("keeps no client-chosen extension or name on the stored file", async () => {
    parsed = await parseUpload(multipart([["image", png(await diagramPng(100), "../../evil.sh")]]), limits);
    const file = fileOf(parsed);
    expect(path.dirname(file.path)).toBe(directory);
    expect(path.basename(file.path)).not.toContain("evil");
    expect(path.extname(file.path)).toBe("");
  });

  it("cleanup() removes the file, and can be called twice", async () => {
    parsed = await parseUpload(multipart([["image", png(await diagramPng(100))]]), limits);
    expect(await readdir(directory)).toHaveLength(1);
    await parsed.cleanup();
    await parsed.cleanup();
    expect(await readdir(directory)).toEqual([]);
  });

  it("reads a streamed body that has no Content-Length (chunked transfer)", async () => {
    const image = await diagramPng(150);
    const boundary = "----mra-test-boundary-7d93";
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nWhat is this?\r\n--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="d.png"\r\nContent-Type: image/png\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const encoder = new TextEncoder();
    // Sent in small, uneven pieces, as a slow client would.
    const whole = Buffer.concat([encoder.encode(head), image, encoder.encode(tail)]);
    const pieces: Uint8Array[] = [];
    for (let offset = 0; offset < whole.length; offset += 997) pieces.push(whole.subarray(offset, offset + 997));
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = pieces.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const request = new Request(URL_, {
      method: "POST",
      body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      duplex: "half",
    } as RequestInit);
    expect(request.headers.get("content-length")).toBeNull();

    parsed = await parseUpload(request, limits);
    expect(parsed.fields).toEqual({ prompt: "What is this?" });
    expect(await readFile(fileOf(parsed).path)).toEqual(image);
  });

  it("holds no piece of the body once it is on disk, so a large upload costs no more memory than a small one", async () => {
    const gc = collectGarbage();
    const boundary = "----mra-test-boundary-memory";
    const head = new TextEncoder().encode(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="d.png"\r\nContent-Type: image/png\r\n\r\n`);
    const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
    const PIECES = 64;
    const alive: Array<WeakRef<Uint8Array>> = [];
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(head);
        if (sent === PIECES) {
          controller.enqueue(tail);
          controller.close();
          return;
        }
        const piece = new Uint8Array(64 * 1024).fill(sent % 251);
        alive.push(new WeakRef(piece));
        controller.enqueue(piece);
        sent++;
      },
    });
    const request = new Request(URL_, { method: "POST", body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, duplex: "half" } as RequestInit);

    parsed = await parseUpload(request, { ...limits, maxFileBytes: 8 * MB });
    expect(fileOf(parsed).bytes).toBe(PIECES * 64 * 1024);
    gc();
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    // The upload is still in hand (its cleanup is not called yet): none of the pieces it read is.
    expect(alive.filter((piece) => piece.deref() !== undefined)).toHaveLength(0);
  });

  it("rejects a file over the limit with 413 file_too_large and leaves no file behind", async () => {
    const error = await rejection(
      parseUpload(
        multipart([
          ["prompt", "Explain"],
          ["image", png(new Uint8Array(limits.maxFileBytes + 1))],
        ]),
        limits,
      ),
    );
    expect(error).toMatchObject({ code: "file_too_large", status: 413 });
    expect(error.message).toContain("MB limit");
    expect(await filesLeft()).toEqual([]);
  });

  it("accepts a file of exactly the limit", async () => {
    parsed = await parseUpload(multipart([["image", png(new Uint8Array(limits.maxFileBytes).fill(7))]]), limits);
    expect(fileOf(parsed).bytes).toBe(limits.maxFileBytes);
  });

  it("rejects two files with 400 too_many_files and leaves no file behind", async () => {
    const image = await diagramPng(100);
    const error = await rejection(
      parseUpload(
        multipart([
          ["image", png(image, "a.png")],
          ["image", png(image, "b.png")],
        ]),
        limits,
      ),
    );
    expect(error).toMatchObject({ code: "too_many_files", status: 400 });
    expect(await filesLeft()).toEqual([]);
  });

  it("rejects a second file under another field name too", async () => {
    const image = await diagramPng(100);
    const error = await rejection(
      parseUpload(
        multipart([
          ["image", png(image, "a.png")],
          ["attachment", png(image, "b.png")],
        ]),
        limits,
      ),
    );
    expect(error).toMatchObject({ code: "too_many_files", status: 400 });
    expect(await filesLeft()).toEqual([]);
  });

  // A follow-up names the image the server kept instead of sending it; whether a form without a
  // file is acceptable is the route's decision (it needs an imageId then).
  it("reads a form without a file, for a follow-up that names a kept image", async () => {
    parsed = await parseUpload(
      multipart([
        ["prompt", "What does it connect to?"],
        ["imageId", "kept-image-id"],
      ]),
      limits,
    );
    expect(parsed.file).toBeUndefined();
    expect(parsed.fields).toEqual({ prompt: "What does it connect to?", imageId: "kept-image-id" });
    expect(await readdir(directory)).toEqual([]);
  });

  it("reads a follow-up's history field far larger than a task (200,000 characters of earlier turns)", async () => {
    // Worst case for its size in bytes: characters JSON escapes, and characters of 3 UTF-8 bytes.
    const history = JSON.stringify([
      { task: "Explain", answer: "\u0001".repeat(100_000) },
      { task: "And then?", answer: "図".repeat(99_983) },
    ]);
    expect(Buffer.byteLength(history)).toBeGreaterThan(64 * 1024 * 10);
    parsed = await parseUpload(multipart([["prompt", "More"], ["history", history], ["image", png(await diagramPng(100))]]), limits);
    expect(parsed.fields.history).toBe(history);
    expect(fileOf(parsed).bytes).toBeGreaterThan(0);
  });

  it("rejects text fields beyond any conversation's size with 400, keeping no file", async () => {
    const error = await rejection(
      parseUpload(
        multipart([
          ["prompt", "More"],
          ["history", "x".repeat(3 * MB)],
          ["image", png(await diagramPng(100))],
        ]),
        { ...limits, maxFileBytes: 8 * MB },
      ),
    );
    expect(error).toMatchObject({ code: "invalid_request", status: 400, message: "The form has too many or too large text fields." });
    expect(await filesLeft()).toEqual([]);
  });

  it("rejects a file sent under the wrong field name as missing_image and removes it", async () => {
    const error = await rejection(parseUpload(multipart([["file", png(await diagramPng(100))]]), limits));
    expect(error).toMatchObject({ code: "missing_image", status: 400 });
    expect(await filesLeft()).toEqual([]);
  });

  it("rejects a request without a body with 400 missing_image", async () => {
    const error = await rejection(parseUpload(new Request(URL_, { method: "POST" }), limits));
    expect(error).toMatchObject({ code: "missing_image", status: 400 });
  });

  it("rejects an empty file with 400 empty_file", async () => {
    const error = await rejection(parseUpload(multipart([["image", png(new Uint8Array(0))]]), limits));
    expect(error).toMatchObject({ code: "empty_file", status: 400 });
    expect(await filesLeft()).toEqual([]);
  });

  it.each([
    ["JSON", "application/json", JSON.stringify({ prompt: "Explain", image: "base64…" })],
    ["URL-encoded", "application/x-www-form-urlencoded", "prompt=Explain&image=abc"],
    ["plain text", "text/plain", "hello"],
  ])("rejects a %s body with 400 and a hint to send multipart", async (_label, contentType, body) => {
    const request = new Request(URL_, { method: "POST", body, headers: { "content-type": contentType } });
    const error = await rejection(parseUpload(request, limits));
    expect(error.status).toBe(400);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toContain("multipart/form-data");
  });

  it("never writes more than the limit to disk for a non-multipart body without Content-Length", async () => {
    const chunk = new Uint8Array(16 * 1024).fill(1);
    const totalChunks = Math.ceil((3 * limits.maxFileBytes) / chunk.length);
    let sentChunks = 0;
    let mostBytesOnDisk = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        mostBytesOnDisk = Math.max(mostBytesOnDisk, await bytesInDirectory());
        if (sentChunks++ < totalChunks) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const request = new Request(URL_, {
      method: "POST",
      body,
      headers: { "content-type": "application/octet-stream" },
      duplex: "half",
    } as RequestInit);
    const error = await rejection(parseUpload(request, limits));
    expect(mostBytesOnDisk).toBeLessThanOrEqual(limits.maxFileBytes);
    expect(error.status).toBe(400);
    expect(error.message).toContain("multipart/form-data");
    expect(await filesLeft()).toEqual([]);
  });

  it("rejects a multipart content type without a boundary with 400", async () => {
    const request = new Request(URL_, {
      method: "POST",
      body: "--x\r\n",
      headers: { "content-type": "multipart/form-data" },
    });
    const error = await rejection(parseUpload(request, limits));
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
  });

  it("rejects a Content-Length far above the limit before reading the body", async () => {
    const request = new Request(URL_, {
      method: "POST",
      body: new FormData(),
      headers: { "content-length": String(500 * MB) },
    });
    const error = await rejection(parseUpload(request, { ...limits, maxFileBytes: 200 * MB }));
    expect(error).toMatchObject({ code: "file_too_large", status: 413 });
    expect(error.message).toContain("200 MB");
    expect(request.bodyUsed).toBe(false);
    expect(request.body?.locked).toBe(false);
    expect(await readdir(directory)).toEqual([]);
  });

  it("rejects a body that breaks off mid-upload with 400 and removes the partial file", async () => {
    const boundary = "mra-broken";
    const encoder = new TextEncoder();
    let sent = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (!sent) {
          sent = true;
          controller.enqueue(
            encoder.encode(
              `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="d.png"\r\nContent-Type: image/png\r\n\r\n${"x".repeat(5000)}`,
            ),
          );
        } else {
          controller.error(new Error("client went away"));
        }
      },
    });
    const request = new Request(URL_, {
      method: "POST",
      body,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      duplex: "half",
    } as RequestInit);
    const error = await rejection(parseUpload(request, limits));
    expect(error).toMatchObject({ code: "invalid_request", status: 400 });
    expect(await filesLeft()).toEqual([]);
  });
});
