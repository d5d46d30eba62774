import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { getHistoryStore } from "@/lib/store/database";
import { parseConfig } from "@/lib/config";
import { describeHistoryStore } from "./history-store-suite";

describeHistoryStore("SQLite", async () => {
  const directory = await mkdtemp(path.join(os.tmpdir(), "mra-history-"));
  const config = parseConfig({ DATA_DIR: directory });
  const store = await getHistoryStore(config);
  return {
    store,
    close: async () => {
      await store.db.destroy();
      await rm(directory, { recursive: true, force: true });
    },
  };
});
