import http from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import { diagramPng, photoLikePng } from "@/tests/helpers/images";
import { analyzeLogLines, startNextServer, type RunningServer } from "@/tests/helpers/next-server";

/**
 * What the server trusts, through `next start` from the production build: the Host and Origin it
 * answers to (raw node:http, so the Host header can be forged as a rebinding page's would be),
 * the pages' CSP nonce, keys echoed by a model server kept out of answers and logs, and a stream
 * that ends without a finish reason reported as cut off.
 */

const GEMINI_KEY = "trust-integration-key-5150";
let fake: FakeModelServer;
let server: RunningServer;
let port: number;

beforeAll(async () => {
  fake = await startFakeModelServer();
  server = await startNextServer({
    GEMINI_API_KEY: GEMINI_KEY,
    GEMINI_MODEL: "gemini-3-int",
    GEMINI_BASE_URL: fake.url,
    MODEL_MAX_RETRIES: "0",
    PUBLIC_URL: "https://diagrams.example.com",
    ALLOWED_HOSTS: "review.internal",
  });
  port = Number(new URL(server.url).port);
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
});

afterEach(() => fake.reset());

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly the headers given, Host included: fetch would not let Host be forged. */
function rawRequest(path: string, headers: Record<string, string>, init: { method?: string; body?: Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: "127.0.0.1", port, path, method: init.method ?? "GET", headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(init.body);
  });
}

/** A multipart analysis request as bytes, with its content type, to send through rawRequest. */
async function analysisForm(image: Buffer, prompt = "Explain this architecture"): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  form.append("prompt", prompt);
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  const request = new Request("http://form.invalid/", { method: "POST", body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get("content-type")! };
}

async function postAnalysis(image: Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
  const { body, contentType } = await analysisForm(image);
  return rawRequest("/api/analyze", { host: `127.0.0.1:${port}`, "content-type": contentType, "content-length": String(body.length), ...headers }, { method: "POST", body });
}

async function eventsOf(response: Response): Promise<AnalyzeEvent[]> {
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
  return events;
}

function fetchAnalysis(image: Buffer) {
  const form = new FormData();
  form.append("prompt", "Explain this architecture");
  form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  return fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
}

describe("Host allow-list (DNS rebinding)", () => {
  it.each(["/", "/api/health", "/api/providers"])("refuses %s for a forged Host with 403", async (path) => {
    const response = await rawRequest(path, { host: `rebind.attacker.example:${port}` });
    expect(response.status).toBe(403);
    expect(response.body).toContain("rebind.attacker.example");
    expect(response.body).toContain("ALLOWED_HOSTS");
    if (path.startsWith("/api/")) expect(JSON.parse(response.body)).toMatchObject({ error: { code: "host_not_allowed" } });
  });

  it("refuses POST /api/analyze, outside the proxy, for a forged Host before reading the upload", async () => {
    const response = await postAnalysis(await diagramPng(), { host: `rebind.attacker.example:${port}` });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: "host_not_allowed" } });
    expect(fake.requests).toHaveLength(0);
  });

  it.each(["localhost", "127.0.0.1", "[::1]", "diagrams.example.com", "review.internal", "10.1.2.3"])("answers Host %s", async (name) => {
    const response = await rawRequest("/api/health", { host: `${name}:${port}` });
    expect(response.status).toBe(200);
  });

  it("answers the page itself under an allowed name", async () => {
    const response = await rawRequest("/", { host: `localhost:${port}` });
    expect(response.status).toBe(200);
    expect(response.body).toContain("<html");
  });
});

describe("Origin", () => {
  it("refuses an analysis posted from another origin with 403 origin_not_allowed", async () => {
    const response = await postAnalysis(await diagramPng(), { origin: "https://evil.example" });
    expect(response.status).toBe(403);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: "origin_not_allowed" } });
    expect(fake.requests).toHaveLength(0);
  });

  it("accepts an analysis from the page's own origin", async () => {
    const response = await postAnalysis(await diagramPng(), { origin: `http://127.0.0.1:${port}` });
    expect(response.status).toBe(200);
  });

  it("refuses a cross-origin read of the API through the proxy", async () => {
    const response = await rawRequest("/api/providers", { host: `127.0.0.1:${port}`, origin: "http://rebind.attacker.example" });
    expect(response.status).toBe(403);
  });
});

describe("Content-Security-Policy", () => {
  it("gives the page a fresh script nonce, on its scripts too, and no 'unsafe-inline' for scripts", async () => {
    const first = await fetch(`${server.url}/`);
    const second = await fetch(`${server.url}/`);
    const policy = first.headers.get("content-security-policy")!;
    const scriptSrc = policy.split(";").map((each) => each.trim()).find((each) => each.startsWith("script-src "))!;
    const nonce = /'nonce-([^']+)'/.exec(scriptSrc)?.[1];
    expect(nonce).toBeTruthy();
    expect(scriptSrc).not.toContain("'unsafe-inline'");
    expect(scriptSrc).not.toContain("'unsafe-eval'");
    expect(second.headers.get("content-security-policy")).not.toContain(nonce);

    const html = await first.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
  });

  it("keeps POST /api/analyze out of the proxy: an upload over 10 MB arrives whole", async () => {
    const image = await photoLikePng(2600, 2000);
    expect(image.length).toBeGreaterThan(10 * 1024 * 1024);
    const response = await fetchAnalysis(image);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    const events = await eventsOf(response);
    expect(events[0]).toMatchObject({ event: "meta", data: { image: { width: 2600, height: 2000 } } });
  });
});

describe("model server output", () => {
  it("keeps a key the model server echoes out of the answer and the log", async () => {
    fake.reply(gemini.errorReply(400, `Gateway refused: x-goog-api-key: ${GEMINI_KEY}; Authorization: Bearer tok-abc-123456`, "INVALID_ARGUMENT"));
    const response = await fetchAnalysis(await diagramPng());
    expect(response.status).toBe(502);
    const body = await response.text();
    expect(body).toContain("Gateway refused");
    expect(body).not.toContain(GEMINI_KEY);
    expect(body).not.toContain("tok-abc-123456");
    await expect.poll(() => analyzeLogLines(server.output()).some((line) => line.code === "provider_rejected")).toBe(true);
    expect(server.output()).toContain("Gateway refused");
    expect(server.output()).not.toContain(GEMINI_KEY);
    expect(server.output()).not.toContain("tok-abc-123456");
  });

  it('reports a stream that ends without a finish reason as "incomplete", keeping the text, and logs it', async () => {
    fake.reply(gemini.streamReply([gemini.candidateChunk([{ text: "## Overview" }]), gemini.candidateChunk([{ text: " The gateway" }])]));
    const events = await eventsOf(await fetchAnalysis(await diagramPng()));
    expect(events.filter((event) => event.event === "delta").map((event) => event.data)).toEqual([{ text: "## Overview" }, { text: " The gateway" }]);
    expect(events.at(-1)).toEqual({ event: "done", data: { finishReason: "incomplete" } });
    await expect.poll(() => analyzeLogLines(server.output()).at(-1)).toMatchObject({ status: 200, finishReason: "incomplete" });
  });

  it("logs the provider's own finish reason beside ours", async () => {
    fake.reply(gemini.textReply(["A long answer"], { finishReason: "MAX_TOKENS" }));
    const events = await eventsOf(await fetchAnalysis(await diagramPng()));
    expect(events.at(-1)).toMatchObject({ event: "done", data: { finishReason: "length" } });
    await expect.poll(() => analyzeLogLines(server.output()).at(-1)).toMatchObject({ finishReason: "length", providerFinishReason: "MAX_TOKENS" });
  });
});
