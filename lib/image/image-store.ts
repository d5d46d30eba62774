import "server-only";
import { createHmac, randomBytes } from "node:crypto";
import { getConfig, type AppConfig } from "@/lib/config";
import type { PreparedImage } from "@/lib/image/prepare-image";

export interface ImageStoreLimits {
  /** Total bytes of prepared images kept; the least recently used go first. 0 keeps none. */
  maxBytes: number;
  /** How long an image is kept after its last use. */
  ttlMs: number;
}

export interface ImageStore {
  /**
   * Keeps the image for its owner and returns its id (the same image of the same owner always
   * gets the same id in this process), or undefined when the image is larger than the whole store.
   */
  put(image: PreparedImage, ownerId: string): string | undefined;
  /**
   * Keeps the image under the caller's key (one a request can never send as an image id, e.g.
   * "stored:<hash>" for an image read from the history), with the same bounds.
   */
  putAs(key: string, image: PreparedImage): void;
  /** The owner's image, if it is still kept; each use starts its time again. Another owner's is not found. */
  get(id: string, ownerId: string): PreparedImage | undefined;
  /** Lets go of the images whose time is up (also done on every put and get). */
  sweep(): void;
  readonly size: number;
  readonly bytes: number;
}

interface Entry {
  image: PreparedImage;
  /** Undefined for the caller's own keys (putAs). */
  ownerId: string | undefined;
  lastUsed: number;
}

/**
 * Prepared images kept for follow-up questions, so a conversation about one diagram uploads it
 * once. Bounded in bytes and time; a miss is not an error for the person, because the page
 * uploads the image again and carries on.
 *
 * The id is an HMAC of the owner and the image under a key made at start-up: the same diagram
 * asked about twice is stored once, yet nobody can learn whether some image is here by hashing it
 * themselves, and one person's id is nothing to another.
 */
export function createImageStore(limits: ImageStoreLimits, now: () => number = Date.now): ImageStore {
  const key = randomBytes(32);
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, Entry>();
  let bytes = 0;

  const remove = (id: string) => {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    bytes -= entry.image.bytes;
  };
  const dropExpired = () => {
    const oldest = now() - limits.ttlMs;
    for (const [id, entry] of entries) {
      if (entry.lastUsed > oldest) break;
      remove(id);
    }
  };

  const keep = (id: string, image: PreparedImage, ownerId: string | undefined) => {
    dropExpired();
    remove(id);
    if (image.bytes > limits.maxBytes) return false;
    while (bytes + image.bytes > limits.maxBytes) remove(entries.keys().next().value!);
    entries.set(id, { image, ownerId, lastUsed: now() });
    bytes += image.bytes;
    return true;
  };

  return {
    put(image, ownerId) {
      const id = createHmac("sha256", key).update(ownerId).update("\0").update(image.data).digest("base64url");
      return keep(id, image, ownerId) ? id : undefined;
    },
    putAs(id, image) {
      keep(id, image, undefined);
    },
    get(id, ownerId) {
      dropExpired();
      const entry = entries.get(id);
      // The caller's own keys (putAs) are checked by the caller: they are never sent as image ids.
      if (!entry || (entry.ownerId !== undefined && entry.ownerId !== ownerId)) return undefined;
      entries.delete(id);
      entries.set(id, { ...entry, lastUsed: now() });
      return entry.image;
    },
    sweep: dropExpired,
    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

let cached: { config: AppConfig; store: ImageStore; sweeper: ReturnType<typeof setInterval> } | undefined;

/** How often an idle server lets go of expired images, so their memory does not wait for traffic. */
const SWEEP_INTERVAL_MS = 60_000;

/** The process's image store, sized by IMAGE_CACHE_MB and IMAGE_CACHE_MINUTES. */
export function getImageStore(config: AppConfig = getConfig()): ImageStore {
  if (cached?.config !== config) {
    if (cached) clearInterval(cached.sweeper);
    const store = createImageStore(config.imageCache);
    const sweeper = setInterval(() => store.sweep(), SWEEP_INTERVAL_MS);
    // A sweep timer must not keep the process alive.
    sweeper.unref();
    cached = { config, store, sweeper };
  }
  return cached.store;
}
