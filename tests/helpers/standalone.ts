import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port";
import { APP_SETTING_VARIABLES } from "./next-server";

/**
 * The container image's server without the container: no image registry is reachable here, so
 * `docker build` cannot run. Instead the Dockerfile itself is read, and its build stage, its
 * runtime stage's COPY lines, ENV and CMD are carried out on this machine (see docs/deploy.md,
 * "Container", for what differs: the base image and so the Node version, and the port when 3000
 * is taken).
 */

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

export interface DockerStage {
  name: string;
  workdir: string;
  env: Record<string, string>;
  /** `COPY --from=<stage> <source> <destination>` lines, in order. */
  copies: Array<{ from: string; source: string; destination: string }>;
  runs: string[];
  user: string | undefined;
  cmd: string[] | undefined;
  /** HEALTHCHECK's CMD, exec form. */
  healthcheck: string[] | undefined;
}

/** The instructions this check needs from a Dockerfile, stage by stage. */
export function parseDockerfile(text: string): DockerStage[] {
  const lines = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const [, instruction = "", rest = ""] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    const stage = stages.at(-1);
    switch (instruction.toUpperCase()) {
      case "FROM":
        stages.push({ name: /\bAS\s+(\S+)/i.exec(rest)?.[1] ?? String(stages.length), workdir: "/", env: {}, copies: [], runs: [], user: undefined, cmd: undefined, healthcheck: undefined });
        break;
      case "WORKDIR":
        stage!.workdir = path.posix.resolve(stage!.workdir, rest);
        break;
      case "ENV":
        for (const match of rest.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
          stage!.env[match[1]!] = match[2]!.startsWith('"') ? (JSON.parse(match[2]!) as string) : match[2]!;
        }
        break;
      case "COPY": {
        const words = rest.split(/\s+/);
        const from = words.find((word) => word.startsWith("--from="))?.slice("--from=".length);
        const paths = words.filter((word) => !word.startsWith("--"));
        if (from && paths.length === 2) stage!.copies.push({ from, source: paths[0]!, destination: paths[1]! });
        else if (from) throw new Error(`COPY --from with other than one source: ${line}`);
        break;
      }
      case "RUN":
        stage!.runs.push(rest);
        break;
      case "USER":
        stage!.user = rest;
        break;
      case "CMD":
        stage!.cmd = JSON.parse(rest) as string[];
        break;
      case "HEALTHCHECK": {
        const command = /\bCMD\s+(\[.*\])\s*$/.exec(rest)?.[1];
        if (!command) throw new Error(`HEALTHCHECK not in exec form: ${line}`);
        stage!.healthcheck = JSON.parse(command) as string[];
        break;
      }
    }
  }
  return stages;
}

export function readDockerfile(): DockerStage[] {
  return parseDockerfile(readFileSync(path.join(PROJECT_ROOT, "Dockerfile"), "utf8"));
}

/**
 * The build stage: the build context (the project's files as git sees them, tracked and new, not
 * ignored, as .dockerignore leaves them) copied to a temporary folder with node_modules
 * hard-linked in (never written), and `npm run build` there with the stage's ENV. Returns that
 * folder, which plays the build stage's WORKDIR. `node` runs the build (the image's is Node 24).
 */
export function buildLikeDockerfile(stage: DockerStage, into: string, node = process.execPath): { root: string; seconds: number } {
  const root = path.join(into, "build");
  mkdirSync(root, { recursive: true });
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: PROJECT_ROOT, encoding: "utf8" })
    .split("\0")
    .filter((file) => file && existsSync(path.join(PROJECT_ROOT, file)) && !dockerIgnored(file));
  for (const file of files) cpSync(path.join(PROJECT_ROOT, file), path.join(root, file), { recursive: true, verbatimSymlinks: true });
  execFileSync("cp", ["-al", path.join(PROJECT_ROOT, "node_modules"), path.join(root, "node_modules")]);
  const build = stage.runs.at(-1);
  if (build !== "npm run build") throw new Error(`The Dockerfile's build stage ends with "${build}", not "npm run build": update this check.`);
  const env: NodeJS.ProcessEnv = { ...cleanEnvironment(), ...stage.env };
  delete env.NEXT_DIST_DIR;
  const started = performance.now();
  env.PATH = `${path.dirname(node)}${path.delimiter}${env.PATH ?? ""}`;
  execFileSync(node, [path.join(root, "node_modules/next/dist/bin/next"), "build"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  return { root, seconds: (performance.now() - started) / 1000 };
}

/** The .dockerignore entries that matter for a copy of git's files: none of them are built. */
function dockerIgnored(file: string): boolean {
  return /^(bench\/results|test-results|playwright-report)\//.test(file) || ["Dockerfile", "compose.yaml", ".dockerignore"].includes(file);
}

/**
 * The runtime stage's `COPY --from=build` lines, carried out from the build folder into a new
 * runtime folder that plays its WORKDIR; directories are copied by their contents as Docker
 * does, symbolic links kept. Everything readable by all and owned by whoever runs this (root
 * here), like the image's files.
 */
export function assembleLikeDockerfile(runtime: DockerStage, buildStage: DockerStage, buildRoot: string, into: string): string {
  const root = path.join(into, "app");
  mkdirSync(root, { recursive: true });
  chmodSync(into, 0o755);
  for (const copy of runtime.copies) {
    if (copy.from !== buildStage.name) throw new Error(`COPY --from=${copy.from}: only the build stage is known here`);
    const source = path.join(buildRoot, path.posix.relative(buildStage.workdir, path.posix.resolve(buildStage.workdir, copy.source)));
    const destination = path.join(root, path.posix.relative(runtime.workdir, path.posix.resolve(runtime.workdir, copy.destination)));
    if (statSync(source).isDirectory()) {
      mkdirSync(destination, { recursive: true });
      cpSync(source, destination, { recursive: true, verbatimSymlinks: true });
    } else {
      const target = copy.destination.endsWith("/") ? path.join(destination, path.basename(source)) : destination;
      mkdirSync(path.dirname(target), { recursive: true });
      cpSync(source, target);
    }
  }
  return root;
}

export interface StandaloneServer {
  url: string;
  port: number;
  /** The command as run, for the report. */
  command: string;
  /** Runs the HEALTHCHECK command as the server's user with its environment: its exit code. */
  healthcheck(): number;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Runs the runtime stage's CMD in the runtime folder with its ENV (and PATH) only, as `user`
 * (the image runs as a non-root user; root here runs it through runuser), DATA_DIR pointing to
 * a new folder owned by that user (the image's volume), and TMPDIR a new folder (the container's
 * own /tmp). PORT stays the image's unless taken.
 */
export async function startLikeDockerfile(
  runtime: DockerStage,
  appRoot: string,
  into: string,
  options: { user?: string; node?: string } = {},
): Promise<StandaloneServer> {
  const [program, ...args] = runtime.cmd ?? [];
  if (program !== "node") throw new Error(`CMD ${JSON.stringify(runtime.cmd)}: expected node`);
  const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", ...runtime.env };
  const dataDir = path.join(into, "data");
  mkdirSync(dataDir, { recursive: true });
  env.DATA_DIR = dataDir;
  // The container has a /tmp of its own; this machine's is shared, and may hold an upload folder
  // another user made (root's, 0700), which the server cannot use. TMPDIR gives it its own.
  const temp = path.join(into, "tmp");
  mkdirSync(temp, { recursive: true });
  chmodSync(temp, 0o1777);
  env.TMPDIR = temp;
  const port = (await portFree(Number(env.PORT ?? 3000))) ? Number(env.PORT ?? 3000) : await freePort();
  env.PORT = String(port);
  const node = options.node ?? process.execPath;
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? (options.user ?? "nobody") : undefined;
  if (user) {
    const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
    chownSync(dataDir, uid, gid);
  }
  const command = [...(user ? ["runuser", "-u", user, "--"] : []), node, ...args];
  const child = spawn(command[0]!, command.slice(1), { cwd: appRoot, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilHealthy(url, child, () => output);
  const shown = Object.entries(env)
    .filter(([key]) => key !== "PATH")
    .map(([key, value]) => `${key}=${value}`)
    .join(" ");
  const healthcheck = () => {
    const [check, ...checkArgs] = runtime.healthcheck ?? [];
    if (check !== "node") throw new Error(`HEALTHCHECK ${JSON.stringify(runtime.healthcheck)}: expected node`);
    const checkCommand = [...(user ? ["runuser", "-u", user, "--"] : []), node, ...checkArgs];
    try {
      execFileSync(checkCommand[0]!, checkCommand.slice(1), { cwd: appRoot, env: env as NodeJS.ProcessEnv, stdio: "ignore", timeout: 5_000 });
      return 0;
    } catch (error) {
      return (error as { status?: number }).status ?? -1;
    }
  };
  return {
    url,
    port,
    healthcheck,
    command: `cd ${appRoot} && ${user ? `runuser -u ${user} -- ` : ""}env ${shown} ${node} ${args.join(" ")}`,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

export function temporaryFolder(): string {
  return mkdtempSync(path.join(os.tmpdir(), "mra-standalone-"));
}

export function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}

async function portFree(port: number): Promise<boolean> {
  const server = net.createServer();
  try {
    server.listen(port, "0.0.0.0");
    await once(server, "listening");
    server.close();
    await once(server, "close");
    return true;
  } catch {
    return false;
  }
}

function cleanEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (APP_SETTING_VARIABLES.test(key)) delete env[key];
  }
  return env;
}

async function waitUntilHealthy(url: string, child: ChildProcess, output: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`node server.js exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error(`node server.js did not answer within 30 s:\n${output()}`);
}

/** Asks a server process to stop, and kills it if it has not within 5 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
