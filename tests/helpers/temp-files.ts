import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

const directories: string[] = [];

afterAll(async () => {
  await Promise.all(directories.splice(0).map((directory) => rm(directory, { recursive: true, force: true })));
});

/** Writes bytes to a fresh temporary file, removed after the test file finishes. */
export async function writeTemp(bytes: Uint8Array, name = "upload"): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "mra-test-"));
  directories.push(directory);
  const file = path.join(directory, name);
  await writeFile(file, bytes);
  return file;
}
