import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import { diagramPng } from "@/tests/helpers/images";
import { analyzeLogLines, startNextServer, type RunningServer } from "@/tests/helpers/next-server";

/** What an operator sees: Prometheus metrics behind a token, request ids, the phases in the log. */

const TOKEN = "scrape-token-for-tests";
let fake: FakeModelServer;
let server: RunningServer;

beforeAll(async () => {
  fake = await startFakeModelServer();
  server = await startNextServer({
    GEMINI_API_KEY: "observability-key",
    GEMINI_MODEL: "gemini-3-ops",
    GEMINI_BASE_URL: fake.url,
    MODEL_MAX_RETRIES: "0",
    METRICS_TOKEN: TOKEN,
  });
});
afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

async function analyze(headers: Record<string, string> = {}) {
  const form = new FormData();
  form.append("prompt", "Explain this architecture");
  form.append("image", new Blob([new Uint8Array(await diagramPng())], { type: "image/png" }), "diagram.png");
  return fetch(`${server.url}/api/analyze`, { method: "POST", body: form, headers });
}

async function scrape(): Promise<string> {
  const response = await fetch(`${server.url}/api/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split("\n").find((each) => each.startsWith(`${name}{`) || each.startsWith(`${name} `) ? wanted.every((label) => each.includes(label)) : false);
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("operations", () => {
  it("refuses /api/metrics without the token, and with a wrong one", async () => {
    expect((await fetch(`${server.url}/api/metrics`)).status).toBe(401);
    const wrong = await fetch(`${server.url}/api/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toContain("Bearer");
  });

  it("counts analyses, tokens, phases and refusals, beside the process metrics", async () => {
    const before = await scrape();
    fake.reply(gemini.textReply(["The gateway ", "fronts a function."]));
    for await (const event of readAnalyzeEvents((await analyze()).body!)) void event;
    const refused = await fetch(`${server.url}/api/analyze`, { method: "POST", body: new FormData() });
    expect(refused.status).toBe(400);

    const after = await scrape();
    const requests = (labels: Record<string, string>) => sample(after, "mra_analyze_requests_total", labels) - sample(before, "mra_analyze_requests_total", labels);
    expect(requests({ status: "200", provider: "gemini", code: "" })).toBe(1);
    expect(requests({ status: "400", provider: "none" })).toBe(1);
    // The fake reports 1,290 prompt and 42 answer tokens.
    expect(sample(after, "mra_model_tokens_total", { provider: "gemini", kind: "input" }) - sample(before, "mra_model_tokens_total", { provider: "gemini", kind: "input" })).toBe(1290);
    expect(sample(after, "mra_model_tokens_total", { provider: "gemini", kind: "output" }) - sample(before, "mra_model_tokens_total", { provider: "gemini", kind: "output" })).toBe(42);
    for (const phase of ["upload", "prepare", "first_token", "stream"]) {
      expect(sample(after, "mra_analyze_phase_seconds_count", { phase, provider: "gemini" })).toBeGreaterThanOrEqual(1);
    }
    expect(after).toMatch(/^mra_queue_places_taken\{queue="prepare"\} 0$/m);
    expect(after).toMatch(/^mra_uploads_in_flight 0$/m);
    expect(after).toMatch(/^mra_answers_streaming 0$/m);
    expect(sample(after, "process_resident_memory_bytes")).toBeGreaterThan(0);
    // No label carries an id, a key or a task.
    expect(after).not.toMatch(/observability-key|Explain this architecture/);
  });

  it("keeps a proxy's well-formed X-Request-Id, makes one otherwise, and logs it with the phases", async () => {
    fake.reply(gemini.textReply(["Answer."]));
    const kept = await analyze({ "x-request-id": "edge-7f3a.42" });
    expect(kept.headers.get("x-request-id")).toBe("edge-7f3a.42");
    for await (const event of readAnalyzeEvents(kept.body!)) void event;
    const made = await fetch(`${server.url}/api/analyze`, { method: "POST", body: new FormData(), headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    await expect.poll(() => analyzeLogLines(server.output()).find((line) => line.requestId === "edge-7f3a.42")).toBeDefined();
    const line = analyzeLogLines(server.output()).find((each) => each.requestId === "edge-7f3a.42")!;
    expect(line).toMatchObject({ status: 200, provider: "gemini", bytesIn: expect.any(Number), bytesSent: expect.any(Number) });
    expect(line.phases).toMatchObject({ uploadMs: expect.any(Number), prepareMs: expect.any(Number), firstTokenMs: expect.any(Number), streamMs: expect.any(Number) });
  });
});
