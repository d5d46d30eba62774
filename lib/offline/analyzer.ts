import "server-only";
import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { createWorkQueue, type QueueSlot, type WorkQueue } from "@/lib/analysis/work-queue";
import { AppError } from "@/lib/shared/errors";
import type { AnalysisBudget, ImageAnalysis } from "@/lib/offline/analyze-image";
import type { AnalysisThreadReply, AnalysisThreadRequest } from "@/lib/offline/worker/protocol";

/** Analyses are kept by image so that a regenerated answer or a follow-up costs nothing. */
const CACHE_SIZE = 16;
/** The kept analyses' size, as JSON, when no setting says otherwise. */
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

export interface AnalyzeOptions {
  /** Aborted when the person who asked has gone: work that nobody else waits for is dropped. */
  signal?: AbortSignal;
  /**
   * A place in the analysis queue that the request reserved as it arrived; one is reserved now
   * when absent (a 503 AppError when the queue is full). Given back unused when the analysis is
   * kept or already under way for someone else.
   */
  slot?: QueueSlot;
}

export type AnalyzeFunction = (image: Buffer, options?: AnalyzeOptions) => Promise<ImageAnalysis>;

export interface WorkerAnalyzerOptions {
  /** The queue in front of the analysis thread; it must run one task at a time. */
  queue?: WorkQueue;
  budget?: AnalysisBudget;
  cacheBytes?: number;
}

/** Runs one analysis to its end, or stops it when `signal` aborts; `bytes` is its size as JSON. */
export type RunAnalysis = (image: Buffer, signal: AbortSignal) => Promise<{ analysis: ImageAnalysis; bytes: number }>;

/** One analysis under way, shared by every request for the same image. */
interface Job {
  result: Promise<ImageAnalysis>;
  waiters: number;
  /** Aborted when the last waiter has gone: dropped from the queue, or stopped at its next stage. */
  abort: AbortController;
}

/**
 * The server side of the analysis thread: one worker, started on first use and kept, fed one
 * image at a time through a bounded queue. Work whose requests have all gone is dropped while it
 * waits, and told to stop while it runs: the thread stops at its next stage, since stopping ONNX
 * mid-inference takes the whole process down.
 */
export function createWorkerAnalyzer({ queue, budget, cacheBytes }: WorkerAnalyzerOptions = {}): AnalyzeFunction {
  return createAnalyzer(analysisThread(budget), { queue, cacheBytes });
}

/** The analysis thread, started on first use and kept; started again after it has stopped. */
function analysisThread(budget: AnalysisBudget | undefined): RunAnalysis {
  let worker: Worker | undefined;
  let nextId = 0;
  const pending = new Map<number, { resolve(result: { analysis: ImageAnalysis; bytes: number }): void; reject(error: Error): void }>();

  const start = () => {
    // Turbopack compiles this URL into its own worker-thread chunk.
    const started = new Worker(new URL("./worker/analysis-worker.ts", import.meta.url));
    started.on("message", (reply: AnalysisThreadReply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if ("error" in reply) waiting?.reject(new Error(reply.error));
      else if ("cancelled" in reply) waiting?.reject(cancelled());
      else waiting?.resolve(reply);
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
  return (image, signal) =>
    new Promise((resolve, reject) => {
      worker ??= start();
      const id = nextId++;
      const running = worker;
      const cancel = () => running.postMessage({ type: "cancel", id } satisfies AnalysisThreadRequest);
      signal.addEventListener("abort", cancel, { once: true });
      pending.set(id, {
        resolve: (result) => {
          signal.removeEventListener("abort", cancel);
          resolve(result);
        },
        reject: (error) => {
          signal.removeEventListener("abort", cancel);
          reject(error);
        },
      });
      running.postMessage({ type: "analyze", id, image: new Uint8Array(image), budget } satisfies AnalysisThreadRequest);
    });
}

/**
 * What the analyzer does around the thread: finished analyses kept by image, one job per image
 * however many requests wait for it, each job run in a place of the queue.
 */
export function createAnalyzer(
  runAnalysis: RunAnalysis,
  {
    queue = createWorkQueue({ name: "offline analysis", concurrency: 1, maxWaiting: Number.POSITIVE_INFINITY }),
    cacheBytes = DEFAULT_CACHE_BYTES,
  }: { queue?: WorkQueue; cacheBytes?: number } = {},
): AnalyzeFunction {
  const cache = createAnalysisCache(cacheBytes);
  const jobs = new Map<string, Job>();

  const startJob = (key: string, image: Buffer, slot: QueueSlot): Job => {
    const abort = new AbortController();
    const result = slot.run((signal) => runAnalysis(image, signal), abort.signal).then(({ analysis, bytes }) => {
      cache.put(key, analysis, bytes);
      return analysis;
    });
    const job: Job = { result, waiters: 0, abort };
    const forget = () => {
      if (jobs.get(key) === job) jobs.delete(key);
    };
    abort.signal.addEventListener("abort", forget, { once: true });
    result.then(forget, forget);
    jobs.set(key, job);
    return job;
  };

  return (image, { signal, slot } = {}) => {
    const key = createHash("sha256").update(image).digest("hex");
    const kept = cache.get(key);
    if (kept) {
      slot?.release();
      return Promise.resolve(kept);
    }
    let job = jobs.get(key);
    if (job) {
      slot?.release();
    } else {
      let place: QueueSlot;
      try {
        place = slot ?? queue.reserve();
      } catch (error) {
        return Promise.reject(error);
      }
      job = startJob(key, image, place);
    }
    return follow(job, signal);
  };
}

/** One request's wait for a shared job: leaving it early stops the job if nobody else waits. */
function follow(job: Job, signal: AbortSignal | undefined): Promise<ImageAnalysis> {
  if (signal?.aborted) {
    if (job.waiters === 0) job.abort.abort();
    return Promise.reject(cancelled());
  }
  job.waiters++;
  return new Promise((resolve, reject) => {
    const leave = () => {
      job.waiters--;
      if (job.waiters === 0) job.abort.abort();
      reject(cancelled());
    };
    signal?.addEventListener("abort", leave, { once: true });
    job.result.then(
      (analysis) => {
        signal?.removeEventListener("abort", leave);
        resolve(analysis);
      },
      (error: unknown) => {
        signal?.removeEventListener("abort", leave);
        reject(error);
      },
    );
  });
}

export interface AnalysisCache {
  get(key: string): ImageAnalysis | undefined;
  put(key: string, analysis: ImageAnalysis, bytes: number): void;
  readonly size: number;
  readonly bytes: number;
}

/**
 * Finished analyses, least recently used first out, bounded in count and in size: an image full
 * of text makes an analysis far larger than a diagram's. One larger than the whole cache is not kept.
 */
export function createAnalysisCache(maxBytes: number, maxEntries = CACHE_SIZE): AnalysisCache {
  const entries = new Map<string, { analysis: ImageAnalysis; bytes: number }>();
  let total = 0;
  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    total -= entry.bytes;
  };
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      entries.delete(key);
      entries.set(key, entry);
      return entry.analysis;
    },
    put(key, analysis, bytes) {
      remove(key);
      if (bytes > maxBytes) return;
      while (entries.size > 0 && (entries.size >= maxEntries || total + bytes > maxBytes)) remove(entries.keys().next().value!);
      entries.set(key, { analysis, bytes });
      total += bytes;
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return total;
    },
  };
}

function cancelled(): AppError {
  return new AppError("request_cancelled", "The request was cancelled.");
}
