import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import SQLite from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { conversationListSchema, conversationSchema, shareLinkSchema, type Conversation } from "@/lib/shared/history-contract";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import { diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { POSTGRES_SKIP_REASON, postgresInstalled, startPostgres, type RunningPostgres } from "@/tests/helpers/postgres";

/**
 * The history as a person relies on it, through `next start` and the real database: answers kept
 * across restarts, a server killed mid-answer, a database lost mid-answer, retention, and two
 * instances sharing one PostgreSQL. Answered by the fake Gemini server through the real SDK.
 */

let fake: FakeModelServer;
const servers: RunningServer[] = [];
const directories: string[] = [];

beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterEach(async () => {
  fake.release();
  fake.reset();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});
afterAll(async () => {
  await fake?.close();
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

async function dataDirectory(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), "mra-history-int-"));
  directories.push(directory);
  return directory;
}

async function serve(env: Record<string, string>): Promise<RunningServer> {
  const server = await startNextServer({
    GEMINI_API_KEY: "history-key",
    GEMINI_MODEL: "gemini-3-history",
    GEMINI_BASE_URL: fake.url,
    MODEL_MAX_RETRIES: "0",
    ...env,
  });
  servers.push(server);
  return server;
}

async function stop(server: RunningServer) {
  await server.stop();
  servers.splice(servers.indexOf(server), 1);
}

function ask(server: RunningServer, fields: Record<string, string>, image?: Uint8Array): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (image) form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  return fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
}

async function eventsOf(response: Response): Promise<AnalyzeEvent[]> {
  expect(response.status).toBe(200);
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
  return events;
}

function idsOf(events: AnalyzeEvent[]) {
  const meta = events[0];
  if (meta?.event !== "meta" || !meta.data.conversationId || !meta.data.turnId) throw new Error(`meta without ids: ${JSON.stringify(meta)}`);
  return { conversationId: meta.data.conversationId, turnId: meta.data.turnId };
}

async function conversation(server: RunningServer, id: string): Promise<Conversation> {
  const response = await fetch(`${server.url}/api/conversations/${id}`);
  expect(response.status).toBe(200);
  return conversationSchema.parse(await response.json());
}

async function listed(server: RunningServer, query = ""): Promise<string[]> {
  const response = await fetch(`${server.url}/api/conversations?q=${encodeURIComponent(query)}`);
  return conversationListSchema.parse(await response.json()).conversations.map((each) => each.id);
}

/** Starts an answer that stops after its first piece until the fake is released, and reads up to that piece. */
async function answerHeldAfterFirstPiece(server: RunningServer, shown: string) {
  fake.reply(gemini.textReply([shown, "Words never shown."], { holdAfter: 1 }));
  const response = await ask(server, { prompt: "Explain this architecture" }, await diagramPng());
  expect(response.status).toBe(200);
  // Read by hand: leaving a for-await loop would end the generator, and the rest is read later.
  const events = readAnalyzeEvents(response.body!);
  const seen: AnalyzeEvent[] = [];
  while (seen.at(-1)?.event !== "delta") {
    const next = await events.next();
    if (next.done) throw new Error(`The answer ended early: ${JSON.stringify(seen)}`);
    seen.push(next.value);
  }
  return { ...idsOf(seen), events, seen };
}

/** The behaviour every database must have, run on SQLite and on PostgreSQL. */
function persistenceTests(name: string, settings: () => Promise<Record<string, string>>) {
  it(`${name}: keeps conversations across a restart, and continues one on its stored image`, async () => {
    const env = await settings();
    const first = await serve(env);
    fake.reply(gemini.textReply(["The gateway ", "fronts two functions."]));
    const events = await eventsOf(await ask(first, { prompt: "Explain this architecture" }, await diagramPng()));
    const { conversationId } = idsOf(events);
    await stop(first);

    const second = await serve(env);
    expect(await listed(second)).toContain(conversationId);
    expect(await conversation(second, conversationId)).toMatchObject({
      title: "Explain this architecture",
      turns: [{ answer: "The gateway fronts two functions.", status: "complete", provider: "gemini", model: "gemini-3-history", finishReason: "stop", usage: { totalTokens: 1332 } }],
    });

    // A follow-up sends only the conversation id: a fresh process has no image in memory.
    fake.reply(gemini.textReply(["Through the queue."]));
    const followUp = await eventsOf(await ask(second, { prompt: "And the queue?", conversationId }));
    expect(followUp.map((event) => event.event)).toEqual(["meta", "delta", "done"]);
    expect(fake.summarise().at(-1)).toMatchObject({ prompt: "And the queue?", userTurns: 2, imageCount: 1 });
    expect(fake.summarise().at(-1)?.turns[1]).toMatchObject({ role: "model", text: "The gateway fronts two functions." });
    expect((await conversation(second, conversationId)).turns.map((turn) => turn.task)).toEqual(["Explain this architecture", "And the queue?"]);
  });

  it(`${name}: a server killed mid-answer leaves the text the person saw, marked incomplete`, async () => {
    const env = await settings();
    const server = await serve(env);
    const { conversationId } = await answerHeldAfterFirstPiece(server, "Shown before the crash. ");
    // Saved as it streams: within the save interval, before the answer ends.
    await expect
      .poll(async () => (await conversation(server, conversationId)).turns[0]?.answer, { timeout: 10_000 })
      .toBe("Shown before the crash. ");
    process.kill(server.pid, "SIGKILL");
    await stop(server);

    const restarted = await serve(env);
    expect((await conversation(restarted, conversationId)).turns[0]).toMatchObject({ answer: "Shown before the crash. ", status: "incomplete" });
  });
}

describe("history on SQLite", () => {
  persistenceTests("SQLite", async () => ({ DATA_DIR: await dataDirectory() }));

  it("retention deletes conversations untouched for HISTORY_RETENTION_DAYS, and their images with the last of them", async () => {
    const directory = await dataDirectory();
    const server = await serve({ DATA_DIR: directory });
    const old = idsOf(await eventsOf(await ask(server, { prompt: "Old question" }, await diagramPng(300))));
    const recent = idsOf(await eventsOf(await ask(server, { prompt: "Recent question" }, await diagramPng(320))));
    await stop(server);
    const database = new SQLite(path.join(directory, "history.sqlite"));
    database.prepare("update conversations set updated_at = ? where id = ?").run("2020-01-01T00:00:00.000Z", old.conversationId);
    expect(database.prepare("select count(*) as count from images").get()).toEqual({ count: 2 });
    database.close();

    const withRetention = await serve({ DATA_DIR: directory, HISTORY_RETENTION_DAYS: "30" });
    await expect.poll(() => listed(withRetention)).toEqual([recent.conversationId]);
    expect((await fetch(`${withRetention.url}/api/conversations/${old.conversationId}`)).status).toBe(404);
    await stop(withRetention);
    const after = new SQLite(path.join(directory, "history.sqlite"), { readonly: true });
    expect(after.prepare("select count(*) as count from images").get()).toEqual({ count: 1 });
    after.close();
  });
});

describe.skipIf(!postgresInstalled())("history on PostgreSQL", () => {
  let postgres: RunningPostgres;
  let databases = 0;
  const freshDatabase = async () => ({ DATABASE_URL: await postgres.createDatabase(`history_${++databases}`) });

  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => postgres?.stop());

  persistenceTests("PostgreSQL", freshDatabase);

  it("two instances on one database serve one history: started on A, listed, reopened, continued and shared on B", async () => {
    const env = await freshDatabase();
    // Started together: the migrator's lock keeps their migrations apart.
    const [a, b] = await Promise.all([serve(env), serve(env)]);
    fake.reply(gemini.textReply(["Answered on A."]));
    const { conversationId } = idsOf(await eventsOf(await ask(a, { prompt: "Explain this architecture" }, await diagramPng())));

    expect(await listed(b)).toEqual([conversationId]);
    expect((await conversation(b, conversationId)).turns[0]?.answer).toBe("Answered on A.");
    fake.reply(gemini.textReply(["Continued on B."]));
    await eventsOf(await ask(b, { prompt: "What next?", conversationId }));
    expect(fake.summarise().at(-1)).toMatchObject({ userTurns: 2, imageCount: 1 });
    expect((await conversation(a, conversationId)).turns.map((turn) => turn.answer)).toEqual(["Answered on A.", "Continued on B."]);

    const share = shareLinkSchema.parse(await (await fetch(`${b.url}/api/conversations/${conversationId}/share`, { method: "POST" })).json());
    const token = new URL(share.url).pathname.split("/").at(-1);
    expect((await fetch(`${a.url}/s/${token}/image`)).status).toBe(200);
    expect((await fetch(`${a.url}/api/conversations/${conversationId}/share`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${b.url}/s/${token}/image`)).status).toBe(404);
  });

  it("a database lost mid-answer does not break the answer: it streams to the end and the page is told it is not saved", async () => {
    const server = await serve(await freshDatabase());
    const { events, seen } = await answerHeldAfterFirstPiece(server, "Shown while the database goes. ");
    await postgres.pause();
    try {
      fake.release();
      for await (const event of events) seen.push(event);
      // Told once, whenever the first write fails (here the last one, before `done`).
      const names = seen.map((event) => event.event);
      expect(names.filter((name) => name !== "unsaved")).toEqual(["meta", "delta", "delta", "done"]);
      expect(names.filter((name) => name === "unsaved")).toHaveLength(1);
      expect(names.indexOf("unsaved")).toBeLessThan(names.indexOf("done"));
      expect(seen.flatMap((event) => (event.event === "delta" ? [event.data.text] : [])).join("")).toBe("Shown while the database goes. Words never shown.");
      // The log line is written as the failed write settles, which may be just after `done`.
      await expect.poll(() => server.output(), { timeout: 5_000 }).toContain("history_unsaved");
      // The list says so plainly rather than failing the page.
      const list = await fetch(`${server.url}/api/conversations`);
      expect(list.status).toBe(503);
      expect(((await list.json()) as { error: { code: string } }).error.code).toBe("history_unavailable");
    } finally {
      await postgres.resume();
    }
    // Back: the next requests are served again, without a restart.
    await expect.poll(async () => (await fetch(`${server.url}/api/conversations`)).status, { timeout: 15_000 }).toBe(200);
  });
});

if (!postgresInstalled()) console.warn(POSTGRES_SKIP_REASON);
