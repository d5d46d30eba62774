import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { conversationSchema } from "@/lib/shared/history-contract";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import { diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";

/**
 * SIGTERM, as a deploy or a scale-in sends it: the server drains (ready says 503, new analyses are
 * refused), lets answers in progress finish within SHUTDOWN_GRACE_SECONDS, ends the rest with an
 * error event and their text saved as stopped, and exits 0.
 */

let fake: FakeModelServer;
let dataDirectory: string;
const servers: RunningServer[] = [];

beforeAll(async () => {
  fake = await startFakeModelServer();
  dataDirectory = await mkdtemp(path.join(os.tmpdir(), "mra-shutdown-"));
});
afterEach(async () => {
  fake.release();
  fake.reset();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});
afterAll(async () => {
  await fake?.close();
  await rm(dataDirectory, { recursive: true, force: true });
});

async function serve(graceSeconds: number): Promise<RunningServer> {
  const server = await startNextServer({
    GEMINI_API_KEY: "shutdown-key",
    GEMINI_MODEL: "gemini-3-shutdown",
    GEMINI_BASE_URL: fake.url,
    MODEL_MAX_RETRIES: "0",
    DATA_DIR: dataDirectory,
    SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
  });
  servers.push(server);
  return server;
}

/** An answer held by the fake after its first piece, read up to that piece. */
async function heldAnswer(server: RunningServer) {
  fake.reply(gemini.textReply(["Written before the restart. ", "Written after it."], { holdAfter: 1 }));
  const form = new FormData();
  form.append("prompt", "Explain this architecture");
  form.append("image", new Blob([new Uint8Array(await diagramPng())], { type: "image/png" }), "diagram.png");
  const response = await fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
  const events = readAnalyzeEvents(response.body!);
  const seen: AnalyzeEvent[] = [];
  while (seen.at(-1)?.event !== "delta") seen.push((await events.next()).value as AnalyzeEvent);
  return { events, seen };
}

async function rest(events: AsyncGenerator<AnalyzeEvent>, seen: AnalyzeEvent[]) {
  for await (const event of events) seen.push(event);
  return seen;
}

describe("graceful shutdown", () => {
  it("drains: ready turns 503, new analyses are refused, the answer in progress finishes, and the process exits 0", async () => {
    const server = await serve(20);
    expect((await fetch(`${server.url}/api/ready`)).status).toBe(200);
    const { events, seen } = await heldAnswer(server);
    process.kill(server.pid, "SIGTERM");

    await expect.poll(async () => (await fetch(`${server.url}/api/ready`)).status).toBe(503);
    expect(await (await fetch(`${server.url}/api/ready`)).json()).toMatchObject({ status: "draining", database: "ok" });
    const form = new FormData();
    form.append("prompt", "Another question");
    form.append("image", new Blob([new Uint8Array(await diagramPng())], { type: "image/png" }), "diagram.png");
    const refused = await fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("server_restarting");

    fake.release();
    expect((await rest(events, seen)).map((event) => event.event)).toEqual(["meta", "delta", "delta", "done"]);
    expect(await server.exited()).toBe(0);
  });

  it("ends an answer still running after the grace period with an error event, saves it as stopped, and exits 0", async () => {
    const server = await serve(1);
    const { events, seen } = await heldAnswer(server);
    const meta = seen[0];
    process.kill(server.pid, "SIGTERM");

    const all = await rest(events, seen);
    expect(all.map((event) => event.event)).toEqual(["meta", "delta", "error"]);
    expect(all.at(-1)).toMatchObject({ event: "error", data: { code: "server_restarting", message: expect.stringMatching(/restarted/) } });
    expect(await server.exited()).toBe(0);

    const restarted = await serve(1);
    const conversationId = meta?.event === "meta" ? meta.data.conversationId : undefined;
    const saved = conversationSchema.parse(await (await fetch(`${restarted.url}/api/conversations/${conversationId}`)).json());
    expect(saved.turns[0]).toMatchObject({ answer: "Written before the restart. ", status: "stopped", errorCode: "server_restarting" });
  });
});
