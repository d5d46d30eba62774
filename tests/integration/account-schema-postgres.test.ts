import { afterAll, beforeAll, describe } from "vitest";
import { parseConfig } from "@/lib/config";
import { getDatabase, type Database } from "@/lib/store/database";
import { describeAccountSchema } from "@/tests/store/account-schema-suite";
import { POSTGRES_SKIP_REASON, postgresInstalled, startPostgres, type RunningPostgres } from "@/tests/helpers/postgres";

/** tests/store/account-schema-suite.ts on a real PostgreSQL. */
describe.skipIf(!postgresInstalled())("the accounts' schema on PostgreSQL", () => {
  let postgres: RunningPostgres;
  let database: Database;
  beforeAll(async () => {
    postgres = await startPostgres();
    database = await getDatabase(parseConfig({ DATABASE_URL: await postgres.createDatabase("account_schema") }));
  }, 60_000);
  afterAll(async () => {
    await database?.db.destroy();
    await postgres?.stop();
  });
  describeAccountSchema(() => database);
});

if (!postgresInstalled()) console.warn(POSTGRES_SKIP_REASON);
