import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_NOTICE } from "@/lib/offline/answer/compose-answer";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import { DIAGRAM_LABELS, diagramPng } from "@/tests/helpers/images";
import { startNextServer, type RunningServer } from "@/tests/helpers/next-server";

/**
 * The production server with no model configured and no network: the offline analyzer reads the
 * diagram (OCR in its worker thread) and streams its answer.
 */

let server: RunningServer;
let uploadDir: string;

beforeAll(async () => {
  uploadDir = await mkdtemp(path.join(os.tmpdir(), "mra-offline-"));
  server = await startNextServer({ UPLOAD_DIR: uploadDir });
});

afterAll(async () => {
  await server?.stop();
  await rm(uploadDir, { recursive: true, force: true });
});

function analyze(image: Buffer, prompt: string): Promise<Response> {
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("image", new Blob([new Uint8Array(image)]), "diagram.png");
  return fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
}

/** A follow-up: the kept image's id and the earlier turns instead of the file. */
function followUp(imageId: string, history: Array<{ task: string; answer: string }>, prompt: string): Promise<Response> {
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("imageId", imageId);
  form.append("history", JSON.stringify(history));
  return fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
}

async function answerOf(response: Response): Promise<{ events: AnalyzeEvent[]; text: string }> {
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
  const text = events.flatMap((event) => (event.event === "delta" ? [event.data.text] : [])).join("");
  return { events, text };
}

describe("offline analyzer through the route", () => {
  it("is the default with no key, and reads the diagram's components", async () => {
    expect(await (await fetch(`${server.url}/api/health`)).json()).toMatchObject({ status: "ok", provider: "offline" });
    const response = await analyze(await diagramPng(1600), "Explain this architecture");
    expect(response.status).toBe(200);
    const { events, text } = await answerOf(response);
    expect(events[0]).toMatchObject({ event: "meta", data: { provider: "offline" } });
    expect(events.at(-1)).toMatchObject({ event: "done", data: { finishReason: "stop" } });
    expect(text.startsWith(OFFLINE_NOTICE)).toBe(true);
    expect(text).toContain("## Overview");
    for (const label of DIAGRAM_LABELS) expect(text.replace(/\s/g, "")).toContain(label.replace(/\s/g, ""));
    // Sections stream one by one, not as one block.
    expect(events.filter((event) => event.event === "delta").length).toBeGreaterThan(2);
    expect(await readdir(uploadDir)).toEqual([]);
  });

  it("answers a follow-up about the kept image, taking “it” to be the component asked about before", async () => {
    const task = "What does Lambda Functions do?";
    const first = await answerOf(await analyze(await diagramPng(1500), task));
    const meta = first.events[0]?.event === "meta" ? first.events[0].data : undefined;
    expect(meta?.imageId).toMatch(/^[\w-]{43}$/);
    expect(first.text.replace(/\s/g, "")).toContain("##LambdaFunctions");

    const response = await followUp(meta!.imageId!, [{ task, answer: first.text }], "What does it connect to?");
    expect(response.status).toBe(200);
    const second = await answerOf(response);
    // The same kept image, in a new saved conversation (the client sent its own history).
    expect(second.events[0]).toEqual({ event: "meta", data: { ...meta, conversationId: expect.any(String), turnId: expect.any(String) } });
    expect(second.events.at(-1)).toMatchObject({ event: "done", data: { finishReason: "stop" } });
    // The same component's story, not the walk-through of the whole diagram.
    expect(second.text).toBe(first.text);
    expect(second.text).not.toContain("## Overview");
    expect(await readdir(uploadDir)).toEqual([]);
  });

  it("keeps answering /api/health while an analysis runs: the analysis never holds the event loop", async () => {
    // A fresh image, so the analysis is not served from the cache.
    const running = analyze(await diagramPng(1700), "List every component and its role").then(answerOf);
    const latencies: number[] = [];
    let finished = false;
    void running.finally(() => (finished = true));
    while (!finished) {
      const started = performance.now();
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(200);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { text } = await running;
    expect(text).toContain("| Component | Group | Kind | Role |");
    expect(latencies.length).toBeGreaterThan(3);
    // An analysis on the event loop would hold a health check for most of its run; the bound is
    // loose, so a busy CI machine's scheduling does not fail it (typical figures: bench/results/).
    expect(Math.max(...latencies)).toBeLessThan(250);
  });
});
