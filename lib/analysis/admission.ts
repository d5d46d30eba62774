import "server-only";
import { getConfig, type AppConfig } from "@/lib/config";
import { createWorkQueue, type WorkQueue } from "@/lib/analysis/work-queue";
import { getMetrics } from "@/lib/ops/metrics";

/**
 * The server's two queues of heavy work, one each per process. Image preparation runs a few
 * sharp jobs at once, each holding one of libuv's threads (config.ts keeps some free for file
 * I/O and the analyzer); the offline analyzer has one thread and runs one image at a time.
 * Places are reserved as a request arrives, so a full server says 503 before reading an upload.
 *
 * sharp.concurrency (libvips' threads per job) is left at its default: those threads are not
 * libuv's, and bounding the jobs bounds them too, while one large image still scales on every core.
 */
export interface Admission {
  prepare: WorkQueue;
  offlineAnalysis: WorkQueue;
}

type AdmissionSettings = AppConfig["admission"];

/**
 * One admission per process, kept on globalThis: Next bundles each route apart, and the metrics
 * route must see the queues the analyze route fills.
 */
const holder = ((globalThis as { [key: symbol]: { cached?: { settings: AdmissionSettings; admission: Admission } } })[
  Symbol.for("multimodal-reasoning-agent.admission")
] ??= {});

export function getAdmission(config: AppConfig = getConfig()): Admission {
  const settings = config.admission;
  const cached = holder.cached;
  if (!cached || JSON.stringify(cached.settings) !== JSON.stringify(settings)) {
    const { prepareConcurrency, prepareQueue, offlineQueue } = settings;
    const rejected = (queue: string) => () => getMetrics().queueRejections.inc({ queue });
    holder.cached = {
      settings,
      admission: {
        prepare: createWorkQueue({ name: "image preparation", concurrency: prepareConcurrency, maxWaiting: prepareQueue, typicalTaskMs: 1_000, onReject: rejected("prepare") }),
        offlineAnalysis: createWorkQueue({ name: "offline analysis", concurrency: 1, maxWaiting: offlineQueue, typicalTaskMs: 3_000, onReject: rejected("offline") }),
      },
    };
  }
  const { admission } = holder.cached!;
  getMetrics().readQueues = () => ({
    prepare: { taken: admission.prepare.taken, running: admission.prepare.running },
    offline: { taken: admission.offlineAnalysis.taken, running: admission.offlineAnalysis.running },
  });
  return admission;
}
