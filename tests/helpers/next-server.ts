import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import net from "node:net";
import path from "node:path";

/** The production build that `npm run build:test` makes, served by `next start` in tests. */
export const TEST_DIST_DIR = process.env.NEXT_DIST_DIR ?? ".next-test";
const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

export interface RunningServer {
  url: string;
  /** Everything the server printed, for assertions on logs and for debugging failures. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `next start` on a free loopback port with the given environment and waits until it answers. */
export async function startNextServer(env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "node_modules/next/dist/bin/next"), "start", "-H", "127.0.0.1", "-p", String(port)], {
    cwd: PROJECT_ROOT,
    env: { ...cleanEnvironment(), NEXT_DIST_DIR: TEST_DIST_DIR, NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilReady(url, child, () => output);
  return { url, output: () => output, stop: () => stop(child) };
}

/** The test runner's own model settings must not leak into the server under test. */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(GEMINI_|OPENAI_|LLM_|MODEL_|MAX_|UPLOAD_DIR)/.test(key)) delete env[key];
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

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
