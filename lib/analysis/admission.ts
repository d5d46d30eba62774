import "server-only";
import { getConfig, type AppConfig } from "@/lib/config";
import { createWorkQueue, type WorkQueue } from "@/lib/analysis/work-queue";

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

let cached: { config: AppConfig; admission: Admission } | undefined;

export function getAdmission(config: AppConfig = getConfig()): Admission {
  if (cached?.config !== config) {
    const { prepareConcurrency, prepareQueue, offlineQueue } = config.admission;
    cached = {
      config,
      admission: {
        prepare: createWorkQueue({ name: "image preparation", concurrency: prepareConcurrency, maxWaiting: prepareQueue, typicalTaskMs: 1_000 }),
        offlineAnalysis: createWorkQueue({ name: "offline analysis", concurrency: 1, maxWaiting: offlineQueue, typicalTaskMs: 3_000 }),
      },
    };
  }
  return cached.admission;
}
