import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";

/**
 * Watches a running server while an attack runs against it: how long `/api/health` takes to
 * answer, which is how long the event loop is blocked for everyone else.
 */
export interface HealthProbe {
  /** Stops probing; resolves to the slowest answer seen, in ms, and the number of probes. */
  stop(): Promise<{ worstMs: number; probes: number; failures: number }>;
}

/**
 * Asks `/api/health` every `everyMs` until stopped. A probe that gets no answer within
 * `timeoutMs` counts as a failure and as `timeoutMs` of latency.
 */
export function probeHealth(url: string, { everyMs = 50, timeoutMs = 10_000 } = {}): HealthProbe {
  let stopped = false;
  let worstMs = 0;
  let probes = 0;
  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(timeoutMs) });
        await response.arrayBuffer();
        if (!response.ok) failures++;
      } catch {
        failures++;
      }
      worstMs = Math.max(worstMs, performance.now() - started);
      probes++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { worstMs, probes, failures };
    },
  };
}

/** The files left in a directory (an upload or temp directory that should end empty). */
export async function filesIn(directory: string): Promise<string[]> {
  return (await readdir(directory)).sort();
}

/** Resident memory of a process, in bytes, from /proc (Linux). */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  if (!kilobytes) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kilobytes) * 1024;
}
