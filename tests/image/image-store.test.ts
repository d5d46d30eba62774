import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";
import { createImageStore, getImageStore, type ImageStoreLimits } from "@/lib/image/image-store";
import type { PreparedImage } from "@/lib/image/prepare-image";
import { readAnalyzeForm } from "@/lib/upload/analyze-form";

/** A prepared image of `bytes` bytes, all `fill`: images with different fills differ. */
function image(bytes: number, fill = 1): PreparedImage {
  const data = Buffer.alloc(bytes, fill);
  return { data, mimeType: "image/png", width: 10, height: 10, bytes, source: { mimeType: "image/png", width: 10, height: 10 } };
}

/** A store with a clock the test moves. */
function storeWithClock(limits: ImageStoreLimits) {
  const clock = { now: 0 };
  return { store: createImageStore(limits, () => clock.now), clock };
}

const MINUTE = 60_000;
const ROOMY: ImageStoreLimits = { maxBytes: 10_000, ttlMs: 30 * MINUTE };

describe("createImageStore", () => {
  it("keeps an image under an id and gives it back", () => {
    const store = createImageStore(ROOMY);
    const kept = image(100);
    const id = store.put(kept);
    expect(id).toBeDefined();
    expect(store.get(id!)).toBe(kept);
    expect(store.get("not-an-id")).toBeUndefined();
  });

  it("gives the same image the same id, and keeps it once", () => {
    const store = createImageStore(ROOMY);
    const first = store.put(image(100, 7));
    // Another upload of the same diagram, prepared to the same bytes.
    expect(store.put(image(100, 7))).toBe(first);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(100);
  });

  it("gives different images different ids", () => {
    const store = createImageStore(ROOMY);
    expect(store.put(image(100, 1))).not.toBe(store.put(image(100, 2)));
    expect(store.size).toBe(2);
  });

  // The key is made per store (per server process): nobody can learn whether a server keeps some
  // diagram by computing its id themselves.
  it("gives the same image a different id in another store, and none a plain hash of the image", () => {
    const same = image(100, 3);
    const id = createImageStore(ROOMY).put(same)!;
    expect(createImageStore(ROOMY).put(same)).not.toBe(id);
    expect(id).not.toBe(createHash("sha256").update(same.data).digest("base64url"));
    expect(id).not.toBe(createHash("sha256").update(same.data).digest("hex"));
  });

  it("makes ids the analyze form accepts back (base64url, 256 bits)", () => {
    const id = createImageStore(ROOMY).put(image(100))!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readAnalyzeForm({ prompt: "More", imageId: id }).imageId).toBe(id);
  });

  describe("within its bytes", () => {
    it("drops the least recently used images to make room", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const [a, b, c] = [store.put(image(100, 1))!, store.put(image(100, 2))!, store.put(image(100, 3))!];
      expect(store.bytes).toBe(300);
      const d = store.put(image(100, 4))!;
      expect(store.get(a)).toBeUndefined();
      for (const id of [b, c, d]) expect(store.get(id)).toBeDefined();
      expect(store.size).toBe(3);
      expect(store.bytes).toBe(300);
    });

    it("counts a get as a use: the image asked about stays, the one least recently used goes", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const [a, b, c] = [store.put(image(100, 1))!, store.put(image(100, 2))!, store.put(image(100, 3))!];
      store.get(a);
      store.put(image(100, 4));
      expect(store.get(b)).toBeUndefined();
      expect(store.get(a)).toBeDefined();
      expect(store.get(c)).toBeDefined();
    });

    it("counts putting the same image again as a use", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 200 });
      const a = store.put(image(100, 1))!;
      const b = store.put(image(100, 2))!;
      store.put(image(100, 1));
      store.put(image(100, 3));
      expect(store.get(a)).toBeDefined();
      expect(store.get(b)).toBeUndefined();
    });

    it("drops as many images as a large one needs", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const ids = [store.put(image(100, 1))!, store.put(image(100, 2))!, store.put(image(100, 3))!];
      const large = store.put(image(250, 4))!;
      expect(ids.map((id) => store.get(id))).toEqual([undefined, undefined, undefined]);
      expect(store.get(large)).toBeDefined();
      expect(store.bytes).toBe(250);
    });

    it("keeps an image exactly the store's size", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      expect(store.put(image(300))).toBeDefined();
      expect(store.bytes).toBe(300);
    });

    it("keeps no image larger than the whole store, and drops nothing for it", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const small = store.put(image(100, 1))!;
      expect(store.put(image(301, 2))).toBeUndefined();
      expect(store.get(small)).toBeDefined();
      expect(store.size).toBe(1);
      expect(store.bytes).toBe(100);
    });

    it("keeps nothing at all with maxBytes 0 (IMAGE_CACHE_MB=0)", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 0 });
      expect(store.put(image(1))).toBeUndefined();
      expect(store.put(image(100))).toBeUndefined();
      expect(store.size).toBe(0);
      expect(store.bytes).toBe(0);
    });
  });

  describe("in time", () => {
    it("lets an image go once its time since the last use has passed", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 30 * MINUTE });
      const id = store.put(image(100))!;
      clock.now = 30 * MINUTE - 1;
      expect(store.get(id)).toBeDefined();
      // That get was a use: the half hour starts again from it.
      clock.now = 60 * MINUTE - 2;
      expect(store.get(id)).toBeDefined();
      clock.now = 90 * MINUTE - 2;
      expect(store.get(id)).toBeUndefined();
      expect(store.size).toBe(0);
      expect(store.bytes).toBe(0);
    });

    it("lets expired images go on a sweep, with no request to prompt it", () => {
      const { store, clock } = storeWithClock(ROOMY);
      store.put(image(100, 1));
      clock.now = 20 * MINUTE;
      store.put(image(200, 2));
      clock.now = 31 * MINUTE;
      store.sweep();
      expect(store.size).toBe(1);
      expect(store.bytes).toBe(200);
    });

    it("lets an image never asked about again go after the time from its put", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 1000 });
      const id = store.put(image(100))!;
      clock.now = 1000;
      expect(store.get(id)).toBeUndefined();
    });

    it("lets only the images unused for that long go", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 1000 });
      const old = store.put(image(100, 1))!;
      clock.now = 600;
      const recent = store.put(image(100, 2))!;
      clock.now = 1200;
      expect(store.get(old)).toBeUndefined();
      expect(store.get(recent)).toBeDefined();
    });

    it("frees the bytes of expired images for new ones, rather than dropping a recent image", () => {
      const { store, clock } = storeWithClock({ maxBytes: 200, ttlMs: 1000 });
      store.put(image(100, 1));
      clock.now = 500;
      const recent = store.put(image(100, 2))!;
      clock.now = 1100;
      const next = store.put(image(100, 3))!;
      expect(store.get(recent)).toBeDefined();
      expect(store.get(next)).toBeDefined();
      expect(store.bytes).toBe(200);
    });

    it("keeps a re-sent image after it had expired, under the same id", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 1000 });
      const id = store.put(image(100, 5))!;
      clock.now = 5000;
      expect(store.get(id)).toBeUndefined();
      // The page uploads the file again after a 410 image_expired.
      expect(store.put(image(100, 5))).toBe(id);
      expect(store.get(id)).toBeDefined();
    });
  });
});

describe("getImageStore", () => {
  it("is one store per configuration, sized by IMAGE_CACHE_MB", () => {
    const config = parseConfig({ IMAGE_CACHE_MB: "1" });
    const store = getImageStore(config);
    expect(getImageStore(config)).toBe(store);
    const id = store.put(image(1024 * 1024))!;
    expect(store.put(image(1024 * 1024 + 1, 2))).toBeUndefined();
    expect(getImageStore(config).get(id)).toBeDefined();
  });

  it("keeps nothing when IMAGE_CACHE_MB=0", () => {
    expect(getImageStore(parseConfig({ IMAGE_CACHE_MB: "0" })).put(image(10))).toBeUndefined();
  });
});
