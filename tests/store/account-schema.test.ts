import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { parseConfig } from "@/lib/config";
import { getDatabase, type Database } from "@/lib/store/database";
import { describeAccountSchema } from "@/tests/store/account-schema-suite";

describe("the accounts' schema on SQLite", () => {
  let directory: string;
  let database: Database;
  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), "mra-account-schema-"));
    database = await getDatabase(parseConfig({ DATA_DIR: directory }));
  });
  afterAll(async () => {
    await database?.db.destroy();
    await rm(directory, { recursive: true, force: true });
  });
  describeAccountSchema(() => database);
});
