import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newUploadPath, sweepStaleUploads, UPLOAD_FILE_PREFIX } from "@/lib/upload/upload-directory";

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), "mra-sweep-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function fileAged(name: string, ageMs: number) {
  const file = path.join(directory, name);
  await writeFile(file, "x");
  const when = new Date(Date.now() - ageMs);
  await utimes(file, when, when);
}

describe("sweepStaleUploads", () => {
  it("deletes this app's upload files left unwritten for longer than the bound, and nothing else", async () => {
    const hour = 60 * 60_000;
    await fileAged(`${UPLOAD_FILE_PREFIX}old`, 2 * hour);
    await fileAged(`${UPLOAD_FILE_PREFIX}in-use`, 1_000);
    await fileAged("someone-elses-file", 2 * hour);
    expect(await sweepStaleUploads(directory, hour)).toBe(1);
    expect((await readdir(directory)).sort()).toEqual([`${UPLOAD_FILE_PREFIX}in-use`, "someone-elses-file"]);
  });

  it("finds nothing to do in a directory that does not exist yet", async () => {
    expect(await sweepStaleUploads(path.join(directory, "missing"), 0)).toBe(0);
  });

  it("names new files with the prefix the sweep looks for", () => {
    expect(path.basename(newUploadPath(directory)).startsWith(UPLOAD_FILE_PREFIX)).toBe(true);
  });
});
