import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_NOTICE } from "@/lib/offline/answer/compose-answer";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { MAX_HISTORY_CHARS, MAX_HISTORY_TURNS, MAX_PROMPT_CHARS } from "@/lib/shared/limits";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import { diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";
import { probeHealth } from "@/tests/helpers/server-probe";

/**
 * Texts built to make the server's text handling slow, sent to the production server with the
 * offline analyzer, which reads them on the main thread. The server is a child process, so a
 * regression fails these tests instead of taking the test runner down with it.
 *
 * The bound on /api/health: the probe runs in this process on the same loaded machine as the
 * server and the analysis thread, so scheduling alone can delay an answer by a few hundred ms;
 * the failures these tests guard against held the event loop for seconds to minutes.
 */
const HEALTH_BOUND_MS = 500;

/** How many times each follow-up is sent while probing. */
const FOLLOW_UP_ROUNDS = 10;

/** A task of the most words the form allows: one-letter words, the worst case for naming. */
const SHORT_WORDS_TASK = "a ".repeat(MAX_PROMPT_CHARS / 2).slice(0, MAX_PROMPT_CHARS - 1);

let server: RunningServer;
let uploadDir: string;
/** A kept image, for the follow-ups. */
let imageId: string;

beforeAll(async () => {
  uploadDir = await mkdtemp(path.join(os.tmpdir(), "mra-hostile-text-"));
  server = await startNextServer({ UPLOAD_DIR: uploadDir });
  // A first, ordinary question: it loads the route and starts the analysis thread, one-off costs
  // on the main thread that are no part of what the probes below measure.
  const events = await eventsOf(await send({ prompt: "Explain this architecture" }, await diagramPng(1500)));
  const meta = events[0]?.event === "meta" ? events[0].data : undefined;
  imageId = meta!.imageId!;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await rm(uploadDir, { recursive: true, force: true });
});

function send(fields: Record<string, string>, image?: Buffer): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (image) form.append("image", new Blob([new Uint8Array(image)]), "diagram.png");
  return fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
}

async function eventsOf(response: Response): Promise<AnalyzeEvent[]> {
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
  return events;
}

function textOf(events: AnalyzeEvent[]): string {
  return events.flatMap((event) => (event.event === "delta" ? [event.data.text] : [])).join("");
}

/**
 * Sends a request `times` times in a row while probing /api/health: the statuses, the last
 * response's events and the probe's findings. A follow-up about a kept image is answered quickly,
 * so it is repeated until the probe has looked at the server several times while it worked.
 */
async function whileProbing(request: () => Promise<Response>, times = 1) {
  const probe = probeHealth(server.url, { everyMs: 25, timeoutMs: 10_000 });
  try {
    const statuses: number[] = [];
    let events: AnalyzeEvent[] = [];
    for (let round = 0; round < times; round++) {
      const response = await request();
      statuses.push(response.status);
      events = response.status === 200 ? await eventsOf(response) : [];
    }
    return { statuses, events, health: await probe.stop() };
  } catch (error) {
    await probe.stop();
    throw error;
  }
}

async function expectAlive() {
  const health = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(5_000) });
  expect(health.status).toBe(200);
}

describe("hostile text through the offline route", () => {
  it("answers a task of the longest run of one-letter words without blocking the server", { timeout: 120_000 }, async () => {
    // A fresh image, so that the analysis runs too, in its thread, while the task is read.
    const image = await diagramPng(1600);
    const { statuses, events, health } = await whileProbing(() => send({ prompt: SHORT_WORDS_TASK }, image));
    expect(statuses).toEqual([200]);
    expect(events.at(-1)).toMatchObject({ event: "done", data: { finishReason: "stop" } });
    expect(textOf(events).startsWith(OFFLINE_NOTICE)).toBe(true);
    expect(health.failures).toBe(0);
    expect(health.worstMs).toBeLessThan(HEALTH_BOUND_MS);
    await expectAlive();
  });

  it("answers a follow-up carrying the longest history allowed without blocking the server", { timeout: 120_000 }, async () => {
    expect(imageId).toBeTruthy();
    const answer = "An answer.";
    // As many turns as allowed, each as long as the history's total allows, all one-letter words.
    const taskChars = Math.min(MAX_PROMPT_CHARS, Math.floor(MAX_HISTORY_CHARS / MAX_HISTORY_TURNS) - answer.length);
    const history = Array.from({ length: MAX_HISTORY_TURNS }, () => ({ task: "a ".repeat(taskChars / 2).slice(0, taskChars - 1), answer }));
    const { statuses, events, health } = await whileProbing(
      () => send({ prompt: "What does it connect to?", imageId, history: JSON.stringify(history) }),
      FOLLOW_UP_ROUNDS,
    );
    expect(statuses).toEqual(Array(FOLLOW_UP_ROUNDS).fill(200));
    expect(health.probes).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({ event: "done", data: { finishReason: "stop" } });
    expect(textOf(events).startsWith(OFFLINE_NOTICE)).toBe(true);
    expect(health.failures).toBe(0);
    expect(health.worstMs).toBeLessThan(HEALTH_BOUND_MS);
    await expectAlive();
  });

  it("answers a follow-up whose own task is the longest run of one-letter words", { timeout: 120_000 }, async () => {
    expect(imageId).toBeTruthy();
    const history = [{ task: SHORT_WORDS_TASK, answer: "An answer." }];
    const { statuses, events, health } = await whileProbing(
      () => send({ prompt: `${SHORT_WORDS_TASK.slice(0, MAX_PROMPT_CHARS - 40)} what does it connect to?`, imageId, history: JSON.stringify(history) }),
      FOLLOW_UP_ROUNDS,
    );
    expect(statuses).toEqual(Array(FOLLOW_UP_ROUNDS).fill(200));
    expect(health.probes).toBeGreaterThan(1);
    expect(events.at(-1)).toMatchObject({ event: "done", data: { finishReason: "stop" } });
    expect(health.worstMs).toBeLessThan(HEALTH_BOUND_MS);
    await expectAlive();
  });
});
