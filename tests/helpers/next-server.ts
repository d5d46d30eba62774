import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port";

/** The production build that `npm run build:test` makes, served by `next start` in tests. */
export const TEST_DIST_DIR = process.env.NEXT_DIST_DIR ?? ".next-test";
const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");
const NEXT_BIN = path.join(PROJECT_ROOT, "node_modules/next/dist/bin/next");

/**
 * The app's own settings (lib/config.ts): the test runner's values must not leak into a server
 * under test. Used here and by playwright.config.ts.
 */
export const APP_SETTING_VARIABLES = /^(GEMINI_|OPENAI_|LLM_|MODEL_|MAX_|UPLOAD_|IMAGE_CACHE_|IMAGE_TIMEOUT_|PREPARE_|OFFLINE_QUEUE|OCR_|ANALYSIS_CACHE_|DATA_DIR$|DATABASE_URL$|HISTORY_|SHUTDOWN_|METRICS_TOKEN$|LOG_LEVEL$|LOG_PROMPTS$|PUBLIC_URL$|ALLOWED_HOSTS$|AUTH_|OIDC_|SHARE_PUBLIC$|LIMIT_)/;

export interface RunningServer {
  url: string;
  /** The server process, for reading its memory (tests/helpers/server-probe.ts). */
  pid: number;
  /** Everything the server printed, for assertions on logs and for debugging failures. */
  output(): string;
  /** Resolves with the exit code when the process ends by itself (or by a signal a test sends). */
  exited(): Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `next start` on a free loopback port (or on `port`, for a server that must know its own
 * address in its settings, such as PUBLIC_URL) with the given environment and waits until it answers.
 * `hostname` is the address it binds, 127.0.0.1 unless a test is about listening beyond loopback
 * (0.0.0.0); `url` is on 127.0.0.1 either way.
 */
export async function startNextServer(
  env: Record<string, string>,
  { port: chosenPort, hostname = "127.0.0.1" }: { port?: number; hostname?: string } = {},
): Promise<RunningServer> {
  const port = chosenPort ?? (await freePort());
  const { child, output, cleanup } = spawnNext(port, env, hostname);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, child, output);
  } catch (error) {
    cleanup();
    throw error;
  }
  const exited = child.exitCode !== null ? Promise.resolve(child.exitCode) : once(child, "exit").then(() => child.exitCode);
  return {
    url,
    pid: child.pid!,
    output,
    exited: () => exited,
    stop: async () => {
      await stop(child);
      cleanup();
    },
  };
}

export interface StartupFailure {
  /** The exit code; null when the server was still serving after all (and was then stopped). */
  exitCode: number | null;
  output: string;
}

/**
 * Starts `next start` with a configuration that should stop it, and waits for it to exit. A
 * server that answers HTTP instead and is still running a moment later did not stop: it is
 * killed and reported with `exitCode: null`.
 */
export async function startNextServerExpectingExit(env: Record<string, string>): Promise<StartupFailure> {
  const port = await freePort();
  const { child, output, cleanup } = spawnNext(port, env);
  const exited = once(child, "exit").then(() => true);
  try {
    return await watchForExit(port, child, output, exited);
  } finally {
    cleanup();
  }
}

async function watchForExit(port: number, child: ChildProcess, output: () => string, exited: Promise<boolean>): Promise<StartupFailure> {
  const deadline = Date.now() + 30_000;
  let answering = false;
  while (Date.now() < deadline && !answering) {
    if (child.exitCode !== null) return { exitCode: child.exitCode, output: output() };
    try {
      await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(1_000) });
      answering = true;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // Serving, or silent until the deadline: give an exit already under way a moment, then stop it.
  const exitedAnyway = await Promise.race([exited, new Promise<false>((resolve) => setTimeout(() => resolve(false), 1_500))]);
  if (exitedAnyway) return { exitCode: child.exitCode, output: output() };
  await stop(child);
  return { exitCode: null, output: output() };
}

/** pino's own fields on every line, apart from what the app logs. */
const LOGGER_FIELDS = ["level", "time", "pid", "hostname", "msg"];

/**
 * The one JSON line the server logs per /api/analyze request, parsed, in the order written:
 * the app's fields (pino's own set apart), a failure's `cause` included.
 */
export function analyzeLogLines(output: string): Array<Record<string, unknown>> {
  return logLines(output).filter((line) => line.route === "/api/analyze" && line.event === undefined);
}

/** Every JSON line the server logged, without pino's own fields. */
export function logLines(output: string): Array<Record<string, unknown>> {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      const fields = JSON.parse(line) as Record<string, unknown>;
      for (const field of LOGGER_FIELDS) delete fields[field];
      return [fields];
    } catch {
      return [];
    }
  });
}

/**
 * A server given no database of its own keeps its history in a temporary folder, removed by
 * `cleanup`: tests never write to the project's ./data.
 */
function spawnNext(port: number, env: Record<string, string>, hostname = "127.0.0.1"): { child: ChildProcess; output: () => string; cleanup: () => void } {
  const ownData = env.DATA_DIR === undefined && env.DATABASE_URL === undefined ? mkdtempSync(path.join(os.tmpdir(), "mra-server-data-")) : undefined;
  const cleanup = () => {
    if (ownData) rmSync(ownData, { recursive: true, force: true });
  };
  const child = spawn(process.execPath, [NEXT_BIN, "start", "-H", hostname, "-p", String(port)], {
    cwd: PROJECT_ROOT,
    env: { ...cleanEnvironment(), NEXT_DIST_DIR: TEST_DIST_DIR, NODE_ENV: "production", ...(ownData ? { DATA_DIR: ownData } : {}), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  return { child, output: () => output, cleanup };
}

/** The test runner's own model settings must not leak into the server under test. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (APP_SETTING_VARIABLES.test(key)) delete env[key];
  }
  return env;
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`next start did not answer within 30 s:\n${output()}`);
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await once(child, "exit");
  clearTimeout(timer);
}
