import "server-only";
import sharp from "sharp";

/**
 * Memory outside the JavaScript heap, which V8's garbage collector does not give back: what the
 * image library caches, and what glibc's allocator keeps after large images.
 */

/**
 * libvips' operation cache keeps recent results and holds input files open (deleted uploads
 * included) for a server that never processes the same input twice. Process-wide, but sharp sets
 * its defaults again whenever a thread loads it, so a thread that uses sharp calls this too.
 */
export function disableImageCache(): void {
  sharp.cache(false);
}

/**
 * The allocator settings `npm run serve` starts the server with. glibc gives each thread its own
 * arena and, after freeing a large block, raises the size below which blocks come from those
 * arenas; image and OCR buffers then stay resident once the burst that needed them is over. Two
 * arenas and a fixed mmap threshold return large buffers to the system when they are freed.
 */
export const ALLOCATOR_ENVIRONMENT = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" } as const;

/** A line for the operator when the server runs on glibc without those settings; else null. */
export function allocatorAdvice(environment: NodeJS.ProcessEnv = process.env): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  if (!header?.glibcVersionRuntime) return null;
  const missing = Object.keys(ALLOCATOR_ENVIRONMENT).filter((name) => !environment[name]);
  if (missing.length === 0) return null;
  const settings = Object.entries(ALLOCATOR_ENVIRONMENT)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
  return `Memory: ${missing.join(" and ")} not set, so memory used for large images may stay resident after them. Start with \`npm run serve\`, or set ${settings}.`;
}
