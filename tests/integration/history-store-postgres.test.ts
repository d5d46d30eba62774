import { afterAll, beforeAll, describe } from "vitest";
import { parseConfig } from "@/lib/config";
import { getHistoryStore } from "@/lib/store/database";
import { describeHistoryStore } from "@/tests/store/history-store-suite";
import { POSTGRES_SKIP_REASON, postgresInstalled, startPostgres, type RunningPostgres } from "@/tests/helpers/postgres";

/** The history store's suite (tests/store/history-store-suite.ts) on a real PostgreSQL. */
describe.skipIf(!postgresInstalled())("on PostgreSQL", () => {
  let postgres: RunningPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => postgres?.stop());

  describeHistoryStore("PostgreSQL", async () => {
    const config = parseConfig({ DATABASE_URL: await postgres.createDatabase("store_suite") });
    const store = await getHistoryStore(config);
    return { store, close: () => store.db.destroy() };
  });
});

if (!postgresInstalled()) console.warn(POSTGRES_SKIP_REASON);
