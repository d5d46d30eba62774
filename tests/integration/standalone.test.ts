import path from "node:path";
import { existsSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import { DIAGRAM_LABELS, diagramPng } from "@/tests/helpers/images";
import {
  assembleLikeDockerfile,
  buildLikeDockerfile,
  readDockerfile,
  removeFolder,
  startLikeDockerfile,
  temporaryFolder,
  type StandaloneServer,
} from "@/tests/helpers/standalone";

/**
 * The container's server, run as the Dockerfile runs it (tests/helpers/standalone.ts): its build
 * stage (`npm run build` with NEXT_OUTPUT=standalone), its runtime stage's COPY lines into an
 * empty folder, then its CMD with its ENV as a non-root user. Opt-in, as it makes a build of its
 * own (a minute and a half on two cores): `npm run check:standalone`.
 * STANDALONE_NODE builds and runs the server on another Node binary (the image has Node 24), and
 * STANDALONE_BETTER_SQLITE3 then replaces better-sqlite3's addon with one built for it, as the
 * image's build stage builds its own; STANDALONE_KEEP=1 keeps the folders, and
 * STANDALONE_BUILD_DIR=<kept folder>/build reuses a kept build.
 */

const enabled = process.env.STANDALONE_CHECK === "1";

let folder: string;
let server: StandaloneServer;

beforeAll(async () => {
  if (!enabled) return;
  const [build, runtime] = [readDockerfile().at(0)!, readDockerfile().at(-1)!];
  expect(build.env.NEXT_OUTPUT).toBe("standalone");
  folder = temporaryFolder();
  // STANDALONE_BUILD_DIR: a build folder kept from an earlier run (STANDALONE_KEEP=1), reused.
  const built = process.env.STANDALONE_BUILD_DIR ? { root: process.env.STANDALONE_BUILD_DIR, seconds: 0 } : buildLikeDockerfile(build, folder, process.env.STANDALONE_NODE);
  console.log(`build stage (npm run build, NEXT_OUTPUT=standalone): ${built.seconds.toFixed(0)} s`);
  const app = assembleLikeDockerfile(runtime, build, built.root, folder);
  if (process.env.STANDALONE_BETTER_SQLITE3) {
    const { copyFileSync } = await import("node:fs");
    copyFileSync(process.env.STANDALONE_BETTER_SQLITE3, path.join(app, "node_modules/better-sqlite3/build/Release/better_sqlite3.node"));
  }
  server = await startLikeDockerfile(runtime, app, folder, { node: process.env.STANDALONE_NODE });
  console.log(`started: ${server.command}`);
}, 900_000);

afterAll(async () => {
  if (!enabled) return;
  await server?.stop();
  if (process.env.STANDALONE_KEEP === "1") console.log(`kept ${folder}`);
  else if (folder) removeFolder(folder);
});

describe.runIf(enabled)("the standalone server, as the Dockerfile runs it", () => {
  it("answers /api/health, and the image's HEALTHCHECK passes", async () => {
    expect(await (await fetch(`${server.url}/api/health`)).json()).toMatchObject({ status: "ok", provider: "offline" });
    expect(server.healthcheck()).toBe(0);
  });

  it("serves the page and its static files", async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const asset = /\/_next\/static\/[^"']+\.(?:js|css)/.exec(html)?.[0];
    expect(asset).toBeDefined();
    expect((await fetch(`${server.url}${asset}`)).status).toBe(200);
  });

  it("answers with the offline analyzer (OCR models, onnxruntime, sharp) and keeps the conversation in SQLite under DATA_DIR", async () => {
    const form = new FormData();
    form.append("prompt", "Explain this architecture");
    form.append("image", new Blob([new Uint8Array(await diagramPng(1600))]), "diagram.png");
    const response = await fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
    expect(response.status, server.output()).toBe(200);
    const events: AnalyzeEvent[] = [];
    for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
    const text = events.flatMap((event) => (event.event === "delta" ? [event.data.text] : [])).join("");
    const seen = `${JSON.stringify(events.slice(-2))}\n${server.output()}`;
    expect(events[0], seen).toMatchObject({ event: "meta", data: { provider: "offline" } });
    expect(events.filter((event) => event.event === "delta").length, seen).toBeGreaterThan(2);
    expect(events.at(-1), seen).toMatchObject({ event: "done", data: { finishReason: "stop" } });
    for (const label of DIAGRAM_LABELS) expect(text.replace(/\s/g, "")).toContain(label.replace(/\s/g, ""));

    const conversationId = events[0]?.event === "meta" ? events[0].data.conversationId : undefined;
    const listed = (await (await fetch(`${server.url}/api/conversations`)).json()) as { conversations: Array<{ id: string }> };
    expect(listed.conversations.map((conversation) => conversation.id)).toContain(conversationId);
    expect(readdirSync(path.join(folder, "data"))).toContain("history.sqlite");
    expect(existsSync(path.join(folder, "app/data"))).toBe(false);
  }, 60_000);
});
