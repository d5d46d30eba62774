import { describe, expect, it } from "vitest";
import { createAnalysisCache } from "@/lib/offline/analyzer";
import { clickstream } from "@/tests/offline/analysis-fixtures";

describe("analysis cache", () => {
  it("keeps analyses within its size, the least recently used going first", () => {
    const cache = createAnalysisCache(1000);
    const [a, b, c] = [clickstream(), clickstream(), clickstream()];
    cache.put("a", a, 400);
    cache.put("b", b, 400);
    expect(cache.get("a")).toBe(a); // a is now the most recently used
    cache.put("c", c, 400);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(a);
    expect(cache.get("c")).toBe(c);
    expect(cache.bytes).toBe(800);
  });

  it("keeps at most so many analyses, however small", () => {
    const cache = createAnalysisCache(1_000_000, 3);
    for (const key of ["a", "b", "c", "d"]) cache.put(key, clickstream(), 1);
    expect(cache.size).toBe(3);
    expect(cache.get("a")).toBeUndefined();
  });

  it("does not keep an analysis larger than the whole cache, nor drop the others for it", () => {
    const cache = createAnalysisCache(1000);
    cache.put("small", clickstream(), 100);
    cache.put("huge", clickstream(), 5000);
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.get("small")).toBeDefined();
    expect(cache.bytes).toBe(100);
  });

  it("counts an analysis stored again once", () => {
    const cache = createAnalysisCache(1000);
    cache.put("a", clickstream(), 300);
    cache.put("a", clickstream(), 200);
    expect([cache.size, cache.bytes]).toEqual([1, 200]);
  });
});
