import "server-only";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * The server's Prometheus metrics, served at /api/metrics. Names and labels follow Prometheus'
 * conventions (base units, `_total` counters); every label has a bounded set of values: routes,
 * providers, error codes and phases are fixed lists, never ids or text.
 */
export interface Metrics {
  registry: Registry;
  analyzeRequests: Counter<"status" | "provider" | "code">;
  phaseSeconds: Histogram<"phase" | "provider">;
  tokens: Counter<"provider" | "kind">;
  uploadsInFlight: Gauge;
  answersStreaming: Gauge;
  queueRejections: Counter<"queue">;
  historyRequests: Counter<"route" | "method" | "status">;
  /** How full the work queues are, read when Prometheus scrapes (set by lib/analysis/admission.ts). */
  readQueues: (() => Record<"prepare" | "offline", { taken: number; running: number }>) | undefined;
}

/** From a fast preparation to a long answer: seconds. */
const PHASE_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics: Metrics = {
    registry,
    analyzeRequests: new Counter({
      name: "mra_analyze_requests_total",
      help: "POST /api/analyze requests by HTTP status, provider and error code (empty when none)",
      labelNames: ["status", "provider", "code"],
      registers: [registry],
    }),
    phaseSeconds: new Histogram({
      name: "mra_analyze_phase_seconds",
      help: "Time spent in each phase of an analysis: upload, preparation, first token, streaming",
      labelNames: ["phase", "provider"],
      buckets: PHASE_BUCKETS,
      registers: [registry],
    }),
    tokens: new Counter({
      name: "mra_model_tokens_total",
      help: "Tokens the providers reported, by provider and kind (input, output)",
      labelNames: ["provider", "kind"],
      registers: [registry],
    }),
    uploadsInFlight: new Gauge({ name: "mra_uploads_in_flight", help: "Uploads being received now", registers: [registry] }),
    answersStreaming: new Gauge({ name: "mra_answers_streaming", help: "Answers streaming now", registers: [registry] }),
    queueRejections: new Counter({
      name: "mra_queue_rejections_total",
      help: "Requests refused with 503 because a work queue was full, by queue",
      labelNames: ["queue"],
      registers: [registry],
    }),
    historyRequests: new Counter({
      name: "mra_history_requests_total",
      help: "Requests to the history routes by route, method and status",
      labelNames: ["route", "method", "status"],
      registers: [registry],
    }),
    readQueues: undefined,
  };
  new Gauge({
    name: "mra_queue_places_taken",
    help: "Places taken in each work queue: running, waiting, and reserved by uploads arriving",
    labelNames: ["queue"],
    registers: [registry],
    collect() {
      for (const [queue, level] of Object.entries(metrics.readQueues?.() ?? {})) this.set({ queue }, level.taken);
    },
  });
  new Gauge({
    name: "mra_queue_running",
    help: "Tasks running in each work queue",
    labelNames: ["queue"],
    registers: [registry],
    collect() {
      for (const [queue, level] of Object.entries(metrics.readQueues?.() ?? {})) this.set({ queue }, level.running);
    },
  });
  return metrics;
}

/** One registry per process, kept on globalThis: Next bundles each route apart. */
export function getMetrics(): Metrics {
  const holder = globalThis as { [key: symbol]: Metrics | undefined };
  const key = Symbol.for("multimodal-reasoning-agent.metrics");
  holder[key] ??= createMetrics();
  return holder[key];
}
