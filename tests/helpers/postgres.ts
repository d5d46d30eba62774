/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a fresh temporary
 * directory, `pg_ctl start` on a free loopback port, removed again by `stop()`.
 *
 * Debian's PostgreSQL refuses to run as root, so as root (as in CI) the server runs as the
 * `postgres` user (`runuser`); otherwise it runs as the current user.
 */
import { execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, readdirSync, readFileSync, rmSync } from "node:fs";
import { appendFile, chown, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./free-port";

export const POSTGRES_SKIP_REASON =
  "PostgreSQL is not installed (apt-get install postgresql); the PostgreSQL tests are skipped";

export interface RunningPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/<database>`; the `postgres` database by default. */
  url(database?: string): string;
  /** Creates a database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  /** Makes the server unavailable, as a crash would (`pg_ctl stop -m immediate`). */
  pause(): Promise<void>;
  /** Starts a paused server again, on the same port and with the same data. */
  resume(): Promise<void>;
}

const BINARIES = ["initdb", "pg_ctl", "postgres"];
let installed: string | null | undefined;

/** The directory of PostgreSQL's `initdb`, `pg_ctl` and `postgres`, or undefined when it is not installed. */
export function postgresInstalled(): string | undefined {
  if (installed === undefined) installed = findBinaries() ?? null;
  return installed ?? undefined;
}

function findBinaries(): string | undefined {
  const candidates: string[] = [];
  // Debian's layout: /usr/lib/postgresql/<major>/bin, highest version first.
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join("/usr/lib/postgresql", version, "bin")));
  } catch {
    // no Debian packages
  }
  candidates.push(...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean));
  return candidates.find((directory) => BINARIES.every((name) => isExecutable(path.join(directory, name))));
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Servers not yet stopped, stopped at exit should the test run end without stopping them. */
const running = new Set<{ stopNow(): void }>();
let exitHookInstalled = false;

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const server of running) server.stopNow();
  });
}

/** Starts a PostgreSQL server of its own in a fresh temporary directory and waits until it answers. */
export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresInstalled();
  if (!bin) throw new Error(POSTGRES_SKIP_REASON);
  const asRoot = process.getuid?.() === 0;

  const directory = await mkdtemp(path.join(os.tmpdir(), "mra-pg-"));
  const dataDir = path.join(directory, "data");
  const logFile = path.join(directory, "server.log");
  let watchdog: number | undefined;
  // Runs a PostgreSQL program as the user the server runs as.
  const command = (program: string, args: string[]): [string, string[]] =>
    asRoot
      ? ["runuser", ["-u", "postgres", "--", path.join(bin, program), ...args]]
      : [path.join(bin, program), args];
  const pgCtl = (...args: string[]) => run(...command("pg_ctl", ["-D", dataDir, ...args]), directory);
  const serverLog = () => {
    try {
      return readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n");
    } catch {
      return "(no server log)";
    }
  };

  const handle = {
    stopNow() {
      // Synchronous, for process exit: no time for a clean shutdown.
      const [file, args] = command("pg_ctl", ["-D", dataDir, "stop", "-m", "immediate", "-w"]);
      spawnSync(file, args, { cwd: "/", stdio: "ignore", timeout: 10_000 });
      rmSync(directory, { recursive: true, force: true });
      if (watchdog) killQuietly(-watchdog);
    },
  };

  try {
    if (asRoot) {
      const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
      await chown(directory, id("-u"), id("-g"));
    }
    await run(
      ...command("initdb", ["-D", dataDir, "--auth=trust", "-U", "postgres", "--encoding=UTF8", "--locale=C", "--no-sync"]),
      directory,
    ).catch((error: Error) => {
      throw new Error(
        `initdb failed${asRoot ? ` (as the postgres user: it needs to reach ${directory})` : ""}: ${error.message}`,
      );
    });
    running.add(handle);
    installExitHook();
    watchdog = startWatchdog(command("pg_ctl", ["-D", dataDir, "stop", "-m", "immediate"]), directory);

    // A port found free may be taken before the server binds it: try another.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      await appendFile(
        path.join(dataDir, "postgresql.conf"),
        [
          "",
          "# tests/helpers/postgres.ts: loopback only; throwaway data (no fsync), but a server crash (pause) loses no commit",
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${directory.replaceAll("'", "''")}'`,
          "fsync = off",
          "full_page_writes = off",
          "shared_buffers = 16MB",
          "max_connections = 50",
          "",
        ].join("\n"),
      );
      try {
        await pgCtl("start", "-w", "-t", "60", "-l", logFile);
        break;
      } catch (error) {
        const log = serverLog();
        if (attempt < 3 && /could not bind|address already in use/i.test(log)) continue;
        throw new Error(`pg_ctl start failed: ${(error as Error).message}\n${log}`);
      }
    }

    const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    await waitUntilAccepting(url(), serverLog);
    let state: "running" | "paused" | "stopped" = "running";

    return {
      url,
      async createDatabase(name) {
        const client = new pg.Client({ connectionString: url() });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      async pause() {
        if (state !== "running") throw new Error(`cannot pause a PostgreSQL server that is ${state}`);
        await pgCtl("stop", "-m", "immediate", "-w");
        state = "paused";
      },
      async resume() {
        if (state !== "paused") throw new Error(`cannot resume a PostgreSQL server that is ${state}`);
        await pgCtl("start", "-w", "-t", "60", "-l", logFile).catch((error: Error) => {
          throw new Error(`pg_ctl start failed: ${error.message}\n${serverLog()}`);
        });
        state = "running";
        await waitUntilAccepting(url(), serverLog);
      },
      async stop() {
        if (state === "stopped") return;
        if (state === "running") await pgCtl("stop", "-m", "fast", "-w").catch(() => pgCtl("stop", "-m", "immediate", "-w"));
        state = "stopped";
        running.delete(handle);
        if (watchdog) killQuietly(-watchdog);
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    running.delete(handle);
    handle.stopNow();
    throw error;
  }
}

/**
 * A detached shell that stops the server and removes its directory once this process is gone,
 * however it ended: the exit hook does not run when a test worker is killed.
 */
function startWatchdog([file, args]: [string, string[]], directory: string): number | undefined {
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; shift; dir="$1"; shift; "$@" >/dev/null 2>&1; rm -rf "$dir"';
  const child = spawn("sh", ["-c", script, "watchdog", String(process.pid), directory, file, ...args], {
    cwd: "/",
    detached: true,
    stdio: "ignore",
  });
  child.on("error", () => {}); // best effort: the exit hook remains
  child.unref();
  return child.pid;
}

function killQuietly(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // cwd: the postgres user may not be allowed into the project directory.
    execFile(file, args, { cwd, encoding: "utf8", timeout: 120_000 }, (error, stdout) => {
      // The message names the command and holds its stderr.
      if (error) reject(new Error(`${error.message}\n${stdout}`.trim()));
      else resolve(stdout);
    });
  });
}

async function waitUntilAccepting(url: string, serverLog: () => string) {
  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("select 1");
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new Error(`PostgreSQL did not accept connections within 30 s: ${String(lastError)}\n${serverLog()}`);
}
