import { describe, expect, it } from "vitest";
import { createWorkQueue } from "@/lib/analysis/work-queue";
import type { ImageAnalysis } from "@/lib/offline/analyze-image";
import { createAnalysisCache, createAnalyzer, type RunAnalysis } from "@/lib/offline/analyzer";
import { clickstream } from "@/tests/offline/analysis-fixtures";

/** An analysis thread whose runs the test finishes, and which records the signal of each. */
function controllableThread() {
  const runs: Array<{ image: Buffer; signal: AbortSignal; finish(analysis?: ImageAnalysis): void; fail(error: Error): void }> = [];
  const run: RunAnalysis = (image, signal) =>
    new Promise((resolve, reject) => {
      runs.push({ image, signal, finish: (analysis = clickstream()) => resolve({ analysis, bytes: 100 }), fail: reject });
      // As the thread does: a cancelled run ends at its next stage.
      signal.addEventListener("abort", () => reject(new Error("cancelled at the next stage")));
    });
  return { run, runs };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const [IMAGE_A, IMAGE_B, IMAGE_C] = [Buffer.from("a"), Buffer.from("b"), Buffer.from("c")];

describe("analyzer", () => {
  it("runs one job for every request about the same image, and keeps its result", async () => {
    const thread = controllableThread();
    const analyze = createAnalyzer(thread.run);
    const [first, second] = [analyze(IMAGE_A), analyze(IMAGE_A)];
    await tick();
    expect(thread.runs).toHaveLength(1);
    const analysis = clickstream();
    thread.runs[0]!.finish(analysis);
    expect(await first).toBe(analysis);
    expect(await second).toBe(analysis);
    expect(await analyze(IMAGE_A)).toBe(analysis);
    expect(thread.runs).toHaveLength(1);
  });

  it("gives back the reserved place of a request whose analysis is kept or already under way", async () => {
    const thread = controllableThread();
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 2 });
    const analyze = createAnalyzer(thread.run, { queue });
    const running = analyze(IMAGE_A, { slot: queue.reserve() });
    const joining = analyze(IMAGE_A, { slot: queue.reserve() });
    expect(queue.taken).toBe(1);
    await tick();
    thread.runs[0]!.finish();
    await Promise.all([running, joining]);
    expect(queue.taken).toBe(0);
    await analyze(IMAGE_A, { slot: queue.reserve() });
    expect(queue.taken).toBe(0);
  });

  it("drops a waiting job whose only request has gone: it never reaches the thread", async () => {
    const thread = controllableThread();
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 2 });
    const analyze = createAnalyzer(thread.run, { queue });
    const first = analyze(IMAGE_A);
    const gone = new AbortController();
    const dropped = analyze(IMAGE_B, { signal: gone.signal });
    gone.abort();
    await expect(dropped).rejects.toMatchObject({ code: "request_cancelled" });
    expect(queue.taken).toBe(1);
    await tick();
    thread.runs[0]!.finish();
    await first;
    await tick();
    expect(thread.runs.map((run) => run.image)).toEqual([IMAGE_A]);
  });

  it("stops a running job once every request for it has gone, not before", async () => {
    const thread = controllableThread();
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 2 });
    const analyze = createAnalyzer(thread.run, { queue });
    const [one, two] = [new AbortController(), new AbortController()];
    const first = analyze(IMAGE_A, { signal: one.signal });
    const second = analyze(IMAGE_A, { signal: two.signal });
    const next = analyze(IMAGE_C);
    await tick();
    one.abort();
    await expect(first).rejects.toMatchObject({ code: "request_cancelled" });
    expect(thread.runs[0]!.signal.aborted).toBe(false);
    two.abort();
    await expect(second).rejects.toMatchObject({ code: "request_cancelled" });
    expect(thread.runs[0]!.signal.aborted).toBe(true);
    // The thread is free for the next image as soon as the stopped job has ended.
    await tick();
    expect(thread.runs.map((run) => run.image)).toEqual([IMAGE_A, IMAGE_C]);
    thread.runs[1]!.finish();
    await next;
    expect(queue.taken).toBe(0);
    // A stopped analysis is not kept: asked again, it runs again.
    void analyze(IMAGE_A);
    await tick();
    expect(thread.runs).toHaveLength(3);
  });

  it("does not keep a failed analysis, and frees its place", async () => {
    const thread = controllableThread();
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 2 });
    const analyze = createAnalyzer(thread.run, { queue });
    const failed = analyze(IMAGE_A);
    await tick();
    thread.runs[0]!.fail(new Error("The analysis thread stopped (exit code 1)."));
    await expect(failed).rejects.toThrow("exit code 1");
    expect(queue.taken).toBe(0);
    const again = analyze(IMAGE_A);
    await tick();
    thread.runs[1]!.finish();
    await again;
    expect(thread.runs).toHaveLength(2);
  });

  it("refuses with 503 when it must reserve a place itself and the queue is full", async () => {
    const thread = controllableThread();
    const queue = createWorkQueue({ name: "offline analysis", concurrency: 1, maxWaiting: 0 });
    const analyze = createAnalyzer(thread.run, { queue });
    void analyze(IMAGE_A);
    await expect(analyze(IMAGE_B)).rejects.toMatchObject({ code: "server_busy", status: 503 });
  });
});

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
