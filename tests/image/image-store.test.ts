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
    const id = store.put(kept, "owner");
    expect(id).toBeDefined();
    expect(store.get(id!, "owner")).toBe(kept);
    expect(store.get("not-an-id", "owner")).toBeUndefined();
  });

  // Ownership is per object (the sign-in issue): another person's image id finds nothing.
  it("gives an owner's image to that owner only, under an id of their own", () => {
    const store = createImageStore(ROOMY);
    const same = image(100, 5);
    const mine = store.put(same, "alice")!;
    expect(store.get(mine, "bob")).toBeUndefined();
    expect(store.get(mine, "alice")).toBe(same);
    const theirs = store.put(same, "bob")!;
    expect(theirs).not.toBe(mine);
    expect(store.get(theirs, "alice")).toBeUndefined();
  });

  it("gives the same image the same id, and keeps it once", () => {
    const store = createImageStore(ROOMY);
    const first = store.put(image(100, 7), "owner");
    // Another upload of the same diagram, prepared to the same bytes.
    expect(store.put(image(100, 7), "owner")).toBe(first);
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(100);
  });

  it("gives different images different ids", () => {
    const store = createImageStore(ROOMY);
    expect(store.put(image(100, 1), "owner")).not.toBe(store.put(image(100, 2), "owner"));
    expect(store.size).toBe(2);
  });

  // The key is made per store (per server process): nobody can learn whether a server keeps some
  // diagram by computing its id themselves.
  it("gives the same image a different id in another store, and none a plain hash of the image", () => {
    const same = image(100, 3);
    const id = createImageStore(ROOMY).put(same, "owner")!;
    expect(createImageStore(ROOMY).put(same, "owner")).not.toBe(id);
    expect(id).not.toBe(createHash("sha256").update(same.data).digest("base64url"));
    expect(id).not.toBe(createHash("sha256").update(same.data).digest("hex"));
  });

  it("makes ids the analyze form accepts back (base64url, 256 bits)", () => {
    const id = createImageStore(ROOMY).put(image(100), "owner")!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(readAnalyzeForm({ prompt: "More", imageId: id }).imageId).toBe(id);
  });

  describe("within its bytes", () => {
    it("drops the least recently used images to make room", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const [a, b, c] = [store.put(image(100, 1), "owner")!, store.put(image(100, 2), "owner")!, store.put(image(100, 3), "owner")!];
      expect(store.bytes).toBe(300);
      const d = store.put(image(100, 4), "owner")!;
      expect(store.get(a, "owner")).toBeUndefined();
      for (const id of [b, c, d]) expect(store.get(id, "owner")).toBeDefined();
      expect(store.size).toBe(3);
      expect(store.bytes).toBe(300);
    });

    it("counts a get as a use: the image asked about stays, the one least recently used goes", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const [a, b, c] = [store.put(image(100, 1), "owner")!, store.put(image(100, 2), "owner")!, store.put(image(100, 3), "owner")!];
      store.get(a, "owner");
      store.put(image(100, 4), "owner");
      expect(store.get(b, "owner")).toBeUndefined();
      expect(store.get(a, "owner")).toBeDefined();
      expect(store.get(c, "owner")).toBeDefined();
    });

    it("counts putting the same image again as a use", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 200 });
      const a = store.put(image(100, 1), "owner")!;
      const b = store.put(image(100, 2), "owner")!;
      store.put(image(100, 1), "owner");
      store.put(image(100, 3), "owner");
      expect(store.get(a, "owner")).toBeDefined();
      expect(store.get(b, "owner")).toBeUndefined();
    });

    it("drops as many images as a large one needs", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const ids = [store.put(image(100, 1), "owner")!, store.put(image(100, 2), "owner")!, store.put(image(100, 3), "owner")!];
      const large = store.put(image(250, 4), "owner")!;
      expect(ids.map((id) => store.get(id, "owner"))).toEqual([undefined, undefined, undefined]);
      expect(store.get(large, "owner")).toBeDefined();
      expect(store.bytes).toBe(250);
    });

    it("keeps an image exactly the store's size", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      expect(store.put(image(300), "owner")).toBeDefined();
      expect(store.bytes).toBe(300);
    });

    it("keeps no image larger than the whole store, and drops nothing for it", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 300 });
      const small = store.put(image(100, 1), "owner")!;
      expect(store.put(image(301, 2), "owner")).toBeUndefined();
      expect(store.get(small, "owner")).toBeDefined();
      expect(store.size).toBe(1);
      expect(store.bytes).toBe(100);
    });

    it("keeps nothing at all with maxBytes 0 (IMAGE_CACHE_MB=0)", () => {
      const store = createImageStore({ ...ROOMY, maxBytes: 0 });
      expect(store.put(image(1), "owner")).toBeUndefined();
      expect(store.put(image(100), "owner")).toBeUndefined();
      expect(store.size).toBe(0);
      expect(store.bytes).toBe(0);
    });
  });

  describe("in time", () => {
    it("lets an image go once its time since the last use has passed", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 30 * MINUTE });
      const id = store.put(image(100), "owner")!;
      clock.now = 30 * MINUTE - 1;
      expect(store.get(id, "owner")).toBeDefined();
      // That get was a use: the half hour starts again from it.
      clock.now = 60 * MINUTE - 2;
      expect(store.get(id, "owner")).toBeDefined();
      clock.now = 90 * MINUTE - 2;
      expect(store.get(id, "owner")).toBeUndefined();
      expect(store.size).toBe(0);
      expect(store.bytes).toBe(0);
    });

    it("lets expired images go on a sweep, with no request to prompt it", () => {
      const { store, clock } = storeWithClock(ROOMY);
      store.put(image(100, 1), "owner");
      clock.now = 20 * MINUTE;
      store.put(image(200, 2), "owner");
      clock.now = 31 * MINUTE;
      store.sweep();
      expect(store.size).toBe(1);
      expect(store.bytes).toBe(200);
    });

    it("lets an image never asked about again go after the time from its put", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 1000 });
      const id = store.put(image(100), "owner")!;
      clock.now = 1000;
      expect(store.get(id, "owner")).toBeUndefined();
    });

    it("lets only the images unused for that long go", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 1000 });
      const old = store.put(image(100, 1), "owner")!;
      clock.now = 600;
      const recent = store.put(image(100, 2), "owner")!;
      clock.now = 1200;
      expect(store.get(old, "owner")).toBeUndefined();
      expect(store.get(recent, "owner")).toBeDefined();
    });

    it("frees the bytes of expired images for new ones, rather than dropping a recent image", () => {
      const { store, clock } = storeWithClock({ maxBytes: 200, ttlMs: 1000 });
      store.put(image(100, 1), "owner");
      clock.now = 500;
      const recent = store.put(image(100, 2), "owner")!;
      clock.now = 1100;
      const next = store.put(image(100, 3), "owner")!;
      expect(store.get(recent, "owner")).toBeDefined();
      expect(store.get(next, "owner")).toBeDefined();
      expect(store.bytes).toBe(200);
    });

    it("keeps a re-sent image after it had expired, under the same id", () => {
      const { store, clock } = storeWithClock({ maxBytes: 10_000, ttlMs: 1000 });
      const id = store.put(image(100, 5), "owner")!;
      clock.now = 5000;
      expect(store.get(id, "owner")).toBeUndefined();
      // The page uploads the file again after a 410 image_expired.
      expect(store.put(image(100, 5), "owner")).toBe(id);
      expect(store.get(id, "owner")).toBeDefined();
    });
  });
});

describe("getImageStore", () => {
  it("is one store per configuration, sized by IMAGE_CACHE_MB", () => {
    const config = parseConfig({ IMAGE_CACHE_MB: "1" });
    const store = getImageStore(config);
    expect(getImageStore(config)).toBe(store);
    const id = store.put(image(1024 * 1024), "owner")!;
    expect(store.put(image(1024 * 1024 + 1, 2), "owner")).toBeUndefined();
    expect(getImageStore(config).get(id, "owner")).toBeDefined();
  });

  it("keeps nothing when IMAGE_CACHE_MB=0", () => {
    expect(getImageStore(parseConfig({ IMAGE_CACHE_MB: "0" })).put(image(10), "owner")).toBeUndefined();
  });
});
