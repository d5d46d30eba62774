import "server-only";
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import type { ImageAnalysis } from "@/lib/offline/analyze-image";
import type { AnalysisReply, AnalysisRequest } from "@/lib/offline/worker/protocol";

/** Analyses are kept by image so that a regenerated answer or a follow-up costs nothing. */
const CACHE_SIZE = 16;

export type AnalyzeFunction = (image: Buffer) => Promise<ImageAnalysis>;

/**
 * The server side of the analysis thread: one worker, started on first use and kept, fed one
 * image at a time. A request whose client has gone still finishes its turn (stopping ONNX
 * mid-inference takes the whole process down), but its result is simply cached.
 */
export function createWorkerAnalyzer(): AnalyzeFunction {
  let worker: Worker | undefined;
  let nextId = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const pending = new Map<number, { resolve(analysis: ImageAnalysis): void; reject(error: Error): void }>();
  const cache = new Map<string, Promise<ImageAnalysis>>();

  const start = () => {
    // Turbopack compiles this URL into its own worker-thread chunk.
    const started = new Worker(new URL("./worker/analysis-worker.ts", import.meta.url));
    started.on("message", (reply: AnalysisReply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if ("error" in reply) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply.analysis);
    });
    started.on("error", (error) => fail(error));
    started.on("exit", (code) => fail(new Error(`The analysis thread stopped (exit code ${code}).`)));
    // An idle analyzer must not keep the process alive.
    started.unref();
    return started;
  };
  const fail = (error: Error) => {
    worker = undefined;
    for (const waiting of pending.values()) waiting.reject(error);
    pending.clear();
  };
  const run = (image: Buffer) =>
    new Promise<ImageAnalysis>((resolve, reject) => {
      worker ??= start();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const request: AnalysisRequest = { id, image: new Uint8Array(image) };
      worker.postMessage(request);
    });

  return (image) => {
    const key = createHash("sha256").update(image).digest("hex");
    const cached = cache.get(key);
    if (cached) return cached;
    const result = queue.then(() => run(image));
    queue = result.catch(() => undefined);
    cache.set(key, result);
    result.catch(() => cache.delete(key));
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
    return result;
  };
}
