import "server-only";
import { randomUUID } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getLogger } from "@/lib/ops/logger";

/**
 * Every upload file this app writes starts with this, so that a sweep deletes this app's files
 * and nothing else that shares the directory.
 */
export const UPLOAD_FILE_PREFIX = "mra-upload-";

/**
 * A folder of its own under the system's temporary directory, unless UPLOAD_DIR says otherwise;
 * one per user, because the folder is private to whoever made it (a server run as root once would
 * otherwise leave a folder no other user's server can write to).
 */
export const DEFAULT_UPLOAD_DIRECTORY = path.join(os.tmpdir(), `multimodal-reasoning-agent-uploads-${process.getuid?.() ?? os.userInfo().username}`);

export function newUploadPath(directory: string): string {
  return path.join(directory, `${UPLOAD_FILE_PREFIX}${randomUUID()}`);
}

/** Created on demand: a temporary-directory cleaner may remove the folder while the server runs. */
export async function ensureUploadDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
}

/**
 * Deletes this app's upload files not written to for `olderThanMs`: the leftovers of a process
 * that was killed mid-request. A file in use is written to while it uploads and lives only as
 * long as its request after that, so the age must exceed the longest upload plus the image's
 * preparation; another server sharing the directory keeps its fresh files. Returns the count.
 */
export async function sweepStaleUploads(directory: string, olderThanMs: number, now = Date.now()): Promise<number> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return 0; // not created yet: nothing to sweep
  }
  const removed = await Promise.all(
    names
      .filter((name) => name.startsWith(UPLOAD_FILE_PREFIX))
      .map(async (name) => {
        const file = path.join(directory, name);
        try {
          const info = await stat(file);
          if (!info.isFile() || now - info.mtimeMs < olderThanMs) return false;
          await rm(file, { force: true });
          return true;
        } catch {
          return false; // deleted by its own request meanwhile
        }
      }),
  );
  return removed.filter(Boolean).length;
}

/**
 * How long a file may go unwritten before it counts as left over: the time to prepare an image
 * after its upload ended is bounded elsewhere, and well within this.
 */
const PREPARATION_ALLOWANCE_MS = 10 * 60_000;
const SWEEP_EVERY_MS = 10 * 60_000;

let sweeper: NodeJS.Timeout | undefined;

/**
 * Sweeps once now and then at intervals, for the life of the process. The timer does not keep
 * the process alive. Calling it again replaces the earlier sweeper.
 */
export function startUploadSweeper({ directory, timeoutMs }: { directory: string; timeoutMs: number }): void {
  if (sweeper) clearInterval(sweeper);
  const olderThanMs = timeoutMs + PREPARATION_ALLOWANCE_MS;
  const sweep = () => {
    sweepStaleUploads(directory, olderThanMs).catch((error: unknown) =>
      getLogger().error({ component: "uploads", event: "sweep_failed", message: error instanceof Error ? error.message : String(error) }),
    );
  };
  sweep();
  sweeper = setInterval(sweep, SWEEP_EVERY_MS);
  sweeper.unref();
}
