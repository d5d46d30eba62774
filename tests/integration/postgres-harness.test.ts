import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_SKIP_REASON, postgresInstalled, startPostgres, type RunningPostgres } from "@/tests/helpers/postgres";

/** The throwaway PostgreSQL server that the store's tests run against (tests/helpers/postgres.ts). */

if (!postgresInstalled()) console.warn(POSTGRES_SKIP_REASON);

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return (await client.query(text)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The server's temporary directory: its data directory's parent. */
async function serverDirectory(url: string): Promise<string> {
  const rows = (await query(url, "show data_directory")) as Array<{ data_directory: string }>;
  return path.dirname(rows[0]!.data_directory);
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

const refused = (url: string) => () =>
  query(url, "select 1").then(
    () => false,
    () => true,
  );

describe.skipIf(!postgresInstalled())("PostgreSQL test server", () => {
  let server: RunningPostgres;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it("listens on loopback only, with a database made on request", async () => {
    expect(server.url()).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    const url = await server.createDatabase("harness_check");
    expect(url).toBe(server.url("harness_check"));
    await query(url, "create table t (id int primary key, note text)");
    await query(url, "insert into t values (1, 'ünïcode ✓')");
    expect(await query(url, "select note from t")).toEqual([{ note: "ünïcode ✓" }]);
    expect(await query(url, "select current_database() as db, current_setting('server_encoding') as enc")).toEqual([
      { db: "harness_check", enc: "UTF8" },
    ]);
    expect(await query(url, "show listen_addresses")).toEqual([{ listen_addresses: "127.0.0.1" }]);
  });

  it("goes away on pause() and comes back on resume(), data kept", async () => {
    const url = server.url("harness_check");
    await server.pause();
    await expect(query(url, "select 1")).rejects.toThrow();
    await server.resume();
    expect(await query(url, "select note from t")).toEqual([{ note: "ünïcode ✓" }]);
  });

  it("removes its directory on stop()", async () => {
    const other = await startPostgres();
    const directory = await serverDirectory(other.url());
    expect(existsSync(directory)).toBe(true);
    await other.stop();
    expect(existsSync(directory)).toBe(false);
    expect(await refused(other.url())()).toBe(true);
    await other.stop(); // again: nothing to do
  });

  it("stops by itself when the process that started it is killed", async () => {
    // A process that starts a server, prints its URL and waits to be killed.
    const script = `
      import { startPostgres } from ${JSON.stringify(path.join(PROJECT_ROOT, "tests/helpers/postgres.ts"))};
      const server = await startPostgres();
      console.log(server.url());
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    const started = await waitFor(async () => output.includes("\n") || child.exitCode !== null, 50_000);
    expect(started && child.exitCode === null, output).toBe(true);
    const url = output.trim();
    const directory = await serverDirectory(url);

    child.kill("SIGKILL");
    expect(await waitFor(refused(url), 15_000)).toBe(true);
    expect(await waitFor(async () => !existsSync(directory), 5_000)).toBe(true);
  }, 60_000);
});
