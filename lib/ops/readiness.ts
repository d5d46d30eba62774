import "server-only";
import { isDraining } from "@/lib/ops/shutdown";
import type { HistoryAccess } from "@/lib/history/analyze-history";
import { withTimeout } from "@/lib/history/turn-recorder";

/** Longest the readiness check waits for the database: a probe must answer quickly either way. */
const DATABASE_PING_MS = 2_000;

export interface Readiness {
  status: "ready" | "draining" | "database_unavailable";
  database: "ok" | "unavailable";
}

/**
 * Whether this instance should get traffic: it is not draining for a restart and its history's
 * database answers. /api/health stays the cheap liveness check; this one asks the database.
 */
export async function checkReadiness(history: HistoryAccess): Promise<Readiness> {
  let database: Readiness["database"] = "ok";
  try {
    await withTimeout(
      history().then((store) => store.ping()),
      DATABASE_PING_MS,
    );
  } catch {
    database = "unavailable";
  }
  const status = isDraining() ? "draining" : database === "ok" ? "ready" : "database_unavailable";
  return { status, database };
}
