import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzeEvent } from "@/lib/streaming/events";
import { readAnalyzeEvents } from "@/lib/streaming/read-events";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import * as openai from "@/tests/helpers/fake-openai";
import { diagramJpeg, diagramPng, pixelBombPng, TEXT_FILE, truncatedPng } from "@/tests/helpers/images";
import { analyzeLogLines, startNextServer, startNextServerExpectingExit, type RunningServer } from "@/tests/helpers/next-server";

/**
 * The real routes, served by `next start` from the production build, configured with both Gemini
 * (the default) and an OpenAI-compatible server, both answered over HTTP by one fake model server
 * through the real SDKs.
 */

const MAX_EDGE = 1024;
const OPENAI_MODEL = "vision-int";
const OPENAI_KEY = "openai-integration-key";
let fake: FakeModelServer;
let server: RunningServer;
let uploadDir: string;

beforeAll(async () => {
  fake = await startFakeModelServer();
  uploadDir = await mkdtemp(path.join(os.tmpdir(), "mra-uploads-"));
  server = await startNextServer({
    GEMINI_API_KEY: "integration-key",
    GEMINI_MODEL: "gemini-int",
    GEMINI_BASE_URL: fake.url,
    OPENAI_BASE_URL: fake.openaiBaseUrl,
    OPENAI_MODEL,
    OPENAI_API_KEY: OPENAI_KEY,
    MODEL_MAX_RETRIES: "0",
    MODEL_FIRST_TOKEN_TIMEOUT_SECONDS: "3",
    // Short enough for the stalled-answer tests; no other test pauses this long between pieces.
    // The client-abort tests check the log, so an idle timeout cannot pass for a client's abort.
    MODEL_IDLE_TIMEOUT_SECONDS: "1",
    MAX_UPLOAD_MB: "2",
    MAX_IMAGE_EDGE: String(MAX_EDGE),
    MAX_IMAGE_PIXELS: "50000000",
    UPLOAD_DIR: uploadDir,
  });
});

afterAll(async () => {
  await server?.stop();
  await fake?.close();
  await rm(uploadDir, { recursive: true, force: true });
});

afterEach(async () => {
  fake.reset();
  // Every path, success or failure, must leave the upload directory empty.
  await expect.poll(() => readdir(uploadDir), { timeout: 5_000 }).toEqual([]);
});

function analyze(image: Uint8Array | null, prompt: string | null, init: RequestInit = {}, fileName = "diagram.png", provider?: string) {
  const form = new FormData();
  if (prompt !== null) form.append("prompt", prompt);
  if (provider !== undefined) form.append("provider", provider);
  if (image) form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), fileName);
  return fetch(`${server.url}/api/analyze`, { method: "POST", body: form, ...init });
}

/** The diagram and a task, answered by the provider named in the form (none: the default). */
async function analyzeWith(provider: string | undefined, init: RequestInit = {}) {
  return analyze(await diagramPng(), "  Explain this architecture  ", init, "diagram.png", provider);
}

async function readAll(response: Response): Promise<AnalyzeEvent[]> {
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
  return events;
}

const textOf = (events: AnalyzeEvent[]) =>
  events.flatMap((event) => (event.event === "delta" ? [event.data.text] : [])).join("");

/** Where the server's output stands now: the log lines of the requests that follow are after it. */
const logMark = () => server.output().length;

/** Waits for the log line of the one request made since `mark`, which the server writes when the request ends. */
async function loggedSince(mark: number): Promise<Record<string, unknown>> {
  await expect.poll(() => analyzeLogLines(server.output().slice(mark)), { timeout: 5_000 }).toHaveLength(1);
  return analyzeLogLines(server.output().slice(mark))[0]!;
}

describe("POST /api/analyze", () => {
  it("streams meta, deltas and done, and sends the prepared image and the task to Gemini", async () => {
    fake.reply(gemini.textReply(["## Overview\n", "An API in front of a function.", "\n\n| a | b |\n|---|---|\n| 1 | 2 |"]));
    const mark = logMark();
    const wide = await diagramPng(2400);
    const response = await analyze(wide, "  Explain this architecture  ");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readAll(response);
    expect(events.map((event) => event.event)).toEqual(["meta", "delta", "delta", "delta", "done"]);
    expect(events[0]).toEqual({
      event: "meta",
      data: { provider: "gemini", model: "gemini-int", image: { width: MAX_EDGE, height: 410, bytes: expect.any(Number), mimeType: "image/png" } },
    });
    expect(textOf(events)).toBe("## Overview\nAn API in front of a function.\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(events.at(-1)).toEqual({
      event: "done",
      data: { finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
    });

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requestsFor("gemini");
    expect(request?.model).toBe("gemini-int");
    expect(request?.apiKey).toBe("integration-key");
    const [imagePart, textPart] = request?.body.contents[0]?.parts ?? [];
    expect(textPart?.text).toBe("Explain this architecture");
    const sent = Buffer.from(imagePart?.inlineData?.data ?? "", "base64");
    const sentMetadata = await sharp(sent).metadata();
    expect({ width: sentMetadata.width, height: sentMetadata.height, format: sentMetadata.format }).toEqual({
      width: MAX_EDGE,
      height: 410,
      format: "png",
    });
    const meta = events[0]?.event === "meta" ? events[0].data : undefined;
    expect(sent.length).toBe(meta?.image.bytes);

    // One log line, written when the answer ended, saying how it ended.
    expect(await loggedSince(mark)).toEqual({
      route: "/api/analyze",
      status: 200,
      ms: expect.any(Number),
      provider: "gemini",
      model: "gemini-int",
      image: `${MAX_EDGE}x410 image/png ${meta?.image.bytes}B`,
      finishReason: "stop",
      totalTokens: 1332,
    });
  });

  it("accepts a JPEG whatever name the browser gave it", async () => {
    const response = await analyze(await diagramJpeg(), "What is this?", {}, "photo.png");
    expect(response.status).toBe(200);
    const events = await readAll(response);
    expect(textOf(events)).toBe("Hello from the fake model.");
    expect(fake.requestsFor("gemini")[0]?.body.contents[0]?.parts[0]?.inlineData?.mimeType).toMatch(/^image\/(png|jpeg)$/);
  });

  it("flushes each delta as it arrives instead of buffering the answer", async () => {
    const pause = 250;
    fake.reply(gemini.textReply(["one ", "two ", "three ", "four"], { delayMs: pause }));
    // Ask for compression too: it must not hold chunks back.
    const response = await analyze(await diagramPng(), "Stream please", { headers: { "Accept-Encoding": "gzip, br" } });
    expect(response.headers.get("content-encoding")).toBeNull();
    const arrivals: number[] = [];
    for await (const event of readAnalyzeEvents(response.body!)) {
      if (event.event === "delta") arrivals.push(performance.now());
    }
    expect(arrivals).toHaveLength(4);
    // Buffered deltas would arrive together; streamed ones at least as far apart as the fake sent them.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(pause * 3 * 0.8);
  });

  it("delivers the first delta while the model is still writing", async () => {
    fake.reply(gemini.streamReply([gemini.candidateChunk([{ text: "First words" }])], { hangAfter: true }));
    const controller = new AbortController();
    const response = await analyze(await diagramPng(), "Explain", { signal: controller.signal });
    const reader = readAnalyzeEvents(response.body!);
    expect((await reader.next()).value?.event).toBe("meta");
    expect((await reader.next()).value).toEqual({ event: "delta", data: { text: "First words" } });
    const mark = logMark();
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    await disconnected;
    // The client's leaving ended it, not the idle timeout.
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code: "request_cancelled" });
  });

  it("aborts the model call when the client goes away mid-answer", async () => {
    fake.reply(gemini.textReply(Array.from({ length: 200 }, (_, index) => `token ${index} `), { delayMs: 50 }));
    const controller = new AbortController();
    const response = await analyze(await diagramPng(), "Explain", { signal: controller.signal });
    const reader = readAnalyzeEvents(response.body!);
    await reader.next(); // meta
    await reader.next(); // first delta
    const mark = logMark();
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code: "request_cancelled" });
    // The server is still healthy afterwards.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it("keeps the text already sent when the model fails mid-answer", async () => {
    fake.reply(gemini.streamReply([gemini.candidateChunk([{ text: "Partial answer" }]), gemini.candidateChunk([{ text: "" }], "SAFETY")]));
    const response = await analyze(await diagramPng(), "Explain");
    expect(response.status).toBe(200);
    const events = await readAll(response);
    expect(textOf(events)).toBe("Partial answer");
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "content_blocked" } });
  });

  it.each([
    { name: "quota", reply: gemini.errorReply(429, "Quota exceeded", "RESOURCE_EXHAUSTED", [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "12s" }]), status: 503, code: "provider_quota" },
    { name: "bad key", reply: gemini.errorReply(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT", [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID" }]), status: 502, code: "provider_auth" },
    { name: "unknown model", reply: gemini.errorReply(404, "models/gemini-int is not found", "NOT_FOUND"), status: 502, code: "model_not_found" },
    { name: "outage", reply: gemini.errorReply(503, "The model is overloaded.", "UNAVAILABLE"), status: 503, code: "provider_unavailable" },
  ])("answers a provider $name before the first token with $status JSON", async ({ reply, status, code }) => {
    fake.reply(reply);
    const response = await analyze(await diagramPng(), "Explain");
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).not.toMatch(/unknown error|stack|at .*\.js/i);
    if (code === "provider_quota") expect(response.headers.get("retry-after")).toBe("12");
  });

  it("gives up with 504 when the model says nothing before the first-token timeout", async () => {
    fake.reply(gemini.streamReply([], { hangAfter: true }));
    const disconnected = fake.nextClientDisconnect();
    const response = await analyze(await diagramPng(), "Explain");
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("provider_timeout");
    await disconnected;
  });
});

describe("POST /api/analyze when the model stalls or the client leaves", () => {
  it.each([
    { provider: "gemini", reply: gemini.streamReply([gemini.candidateChunk([{ text: "First words" }])], { hangAfter: true }) },
    { provider: "openai", reply: openai.streamReply([openai.deltaChunk({ role: "assistant", content: "First words" })], { hangAfter: true }) },
  ])("ends a $provider answer that stalls mid-way with a provider_timeout error event, keeping the text, and hangs up on the model", async ({ provider, reply }) => {
    fake.reply(reply);
    const mark = logMark();
    const disconnected = fake.nextClientDisconnect();
    const response = await analyzeWith(provider);
    expect(response.status).toBe(200);
    const events = await readAll(response);
    expect(events.map((event) => event.event)).toEqual(["meta", "delta", "error"]);
    expect(textOf(events)).toBe("First words");
    expect(events.at(-1)).toEqual({
      event: "error",
      data: { code: "provider_timeout", message: expect.stringContaining("stopped answering for 1 s. The text so far is kept") },
    });
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code: "provider_timeout", provider });
  });

  it("logs a client that leaves before the first token as request_cancelled, and hangs up on the model", async () => {
    fake.reply(gemini.streamReply([], { hangAfter: true }));
    const mark = logMark();
    const controller = new AbortController();
    const pending = analyze(await diagramPng(), "Explain", { signal: controller.signal }).catch((error: unknown) => error);
    await expect.poll(() => fake.requests.length).toBe(1);
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    expect(((await pending) as Error).name).toBe("AbortError");
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 499, code: "request_cancelled" });
  });
});

describe("POST /api/analyze from other sites", () => {
  it.each(["cross-site", "same-site"])("refuses Sec-Fetch-Site: %s with 403 cross_site_request before reading the upload", async (site) => {
    const mark = logMark();
    const response = await analyze(await diagramPng(), "Explain", { headers: { "Sec-Fetch-Site": site } });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("cross_site_request");
    expect(body.error.message).toContain("other sites");
    expect(fake.requests).toHaveLength(0);
    expect(await loggedSince(mark)).toMatchObject({ status: 403, code: "cross_site_request" });
  });

  it.each(["same-origin", "none"])("answers Sec-Fetch-Site: %s (the page itself, or typed by the person)", async (site) => {
    const response = await analyze(await diagramPng(), "Explain", { headers: { "Sec-Fetch-Site": site } });
    expect(response.status).toBe(200);
    expect((await readAll(response)).at(-1)?.event).toBe("done");
    expect(fake.requests).toHaveLength(1);
  });
});

describe("POST /api/analyze rejects bad input before streaming", () => {
  it.each([
    { name: "a text file named .png", image: () => TEXT_FILE, prompt: "Explain", status: 415, code: "unsupported_media_type" },
    { name: "a truncated PNG", image: () => truncatedPng(), prompt: "Explain", status: 422, code: "invalid_image" },
    { name: "a 20000×20000 pixel bomb", image: () => pixelBombPng(), prompt: "Explain", status: 422, code: "image_too_large" },
    { name: "an empty file", image: () => new Uint8Array(), prompt: "Explain", status: 400, code: "empty_file" },
    { name: "a missing task", image: () => diagramPng(), prompt: null, status: 400, code: "missing_prompt" },
    { name: "a blank task", image: () => diagramPng(), prompt: "   ", status: 400, code: "missing_prompt" },
    { name: "a task over 10,000 characters", image: () => diagramPng(), prompt: "x".repeat(10_001), status: 400, code: "invalid_request" },
    { name: "no image", image: () => null, prompt: "Explain", status: 400, code: "missing_image" },
  ])("$name → $status $code", async ({ image, prompt, status, code }) => {
    const response = await analyze(await image(), prompt);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(10);
    expect(fake.requests).toHaveLength(0);
  });

  it("rejects two files with 400", async () => {
    const form = new FormData();
    form.append("prompt", "Explain");
    form.append("image", new Blob([new Uint8Array(await diagramPng())]), "a.png");
    form.append("image", new Blob([new Uint8Array(await diagramPng())]), "b.png");
    const response = await fetch(`${server.url}/api/analyze`, { method: "POST", body: form });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("too_many_files");
  });

  it("rejects a file over MAX_UPLOAD_MB with 413", async () => {
    const oversized = Buffer.concat([await diagramPng(), Buffer.alloc(3 * 1024 * 1024)]);
    const response = await analyze(oversized, "Explain");
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "file_too_large",
      message: expect.stringContaining("2 MB"),
    });
  });

  it("rejects a body that is not multipart with 400", async () => {
    const response = await fetch(`${server.url}/api/analyze`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: "Explain" }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toMatch(/multipart/i);
    expect(fake.requests).toHaveLength(0);
  });

  it("cleans up after a client that disconnects in the middle of its upload", async () => {
    const boundary = "----mra-test-boundary";
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="prompt"\r\n\r\nExplain\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\nContent-Type: image/png\r\n\r\n`,
    );
    const { port, hostname } = new URL(server.url);
    const request = http.request({
      host: hostname,
      port,
      path: "/api/analyze",
      method: "POST",
      headers: { "Content-Type": `multipart/form-data; boundary=${boundary}`, "Content-Length": String(head.length + 1_500_000) },
    });
    request.on("error", () => undefined);
    request.write(head);
    request.write(Buffer.concat([await diagramPng(), Buffer.alloc(500_000)]));
    // Wait until the server has started writing the temporary file, then vanish.
    await expect.poll(() => readdir(uploadDir), { timeout: 5_000 }).toHaveLength(1);
    request.destroy();
    // afterEach asserts the directory is empty again.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});

describe("GET /api/health", () => {
  it("reports the provider and model", async () => {
    const response = await fetch(`${server.url}/api/health`);
    expect(await response.json()).toEqual({ status: "ok", provider: "gemini", model: "gemini-int" });
  });
});

describe("choosing a provider", () => {
  const metaOf = (events: AnalyzeEvent[]) => (events[0]?.event === "meta" ? events[0].data : undefined);

  it("GET /api/providers lists both and the offline analyzer, the default first, by name and model only", async () => {
    const response = await fetch(`${server.url}/api/providers`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      default: "gemini",
      providers: [
        { provider: "gemini", model: "gemini-int", label: "Gemini · gemini-int" },
        { provider: "openai", model: OPENAI_MODEL, label: `${OPENAI_MODEL} · ${new URL(fake.url).host}` },
        { provider: "offline", model: "PP-OCRv4 + layout + catalogue", label: "Offline analyzer · no model, nothing leaves the server" },
      ],
    });
    for (const secret of ["integration-key", OPENAI_KEY]) expect(text).not.toContain(secret);
  });

  it("streams from the OpenAI-compatible server when the form says provider=openai", async () => {
    fake.reply(
      gemini.textReply(["From Gemini."]),
      openai.textReply(["## From the model server\n", "An API in front of a function."]),
    );
    const response = await analyzeWith("openai");
    expect(response.status).toBe(200);
    const events = await readAll(response);
    expect(events.map((event) => event.event)).toEqual(["meta", "delta", "delta", "done"]);
    expect(metaOf(events)).toMatchObject({ provider: "openai", model: OPENAI_MODEL, image: { mimeType: "image/png" } });
    expect(textOf(events)).toBe("## From the model server\nAn API in front of a function.");
    expect(events.at(-1)).toEqual({
      event: "done",
      data: { finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
    });

    expect(fake.requestsFor("gemini")).toHaveLength(0);
    const requests = fake.requestsFor("openai");
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request).toMatchObject({ model: OPENAI_MODEL, apiKey: OPENAI_KEY, body: { stream: true } });
    const user = request?.body.messages.find((message) => message.role === "user")?.content;
    const parts = Array.isArray(user) ? user : [];
    expect(parts.find((part) => part.type === "text")?.text).toBe("Explain this architecture");
    const dataUrl = /^data:image\/png;base64,(.+)$/.exec(parts.find((part) => part.type === "image_url")?.image_url?.url ?? "");
    expect(dataUrl).not.toBeNull();
    const sent = Buffer.from(dataUrl![1]!, "base64");
    expect(sent.length).toBe(metaOf(events)?.image.bytes);
    expect((await sharp(sent).metadata()).format).toBe("png");
  });

  it.each([
    { name: "no provider field", provider: undefined },
    { name: "a blank provider field", provider: "  " },
  ])("answers $name with the default provider, Gemini", async ({ provider }) => {
    fake.reply(gemini.textReply(["From Gemini."]), openai.textReply(["From the model server."]));
    const events = await readAll(await analyzeWith(provider));
    expect(metaOf(events)).toMatchObject({ provider: "gemini", model: "gemini-int" });
    expect(textOf(events)).toBe("From Gemini.");
    expect(fake.requestsFor("gemini")).toHaveLength(1);
    expect(fake.requestsFor("openai")).toHaveLength(0);
  });

  it.each(["anthropic", "nope"])("refuses provider=%s, which this server does not offer, with 400 before any model call", async (provider) => {
    const response = await analyzeWith(provider);
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain(provider);
    expect(body.error.message).toContain("gemini, openai");
    expect(fake.requests).toHaveLength(0);
  });

  it("answers an unknown model on the OpenAI-compatible server with 502 model_not_found JSON", async () => {
    fake.reply(openai.ollamaErrorReply(404, `model "${OPENAI_MODEL}" not found, try pulling it first`));
    const response = await analyzeWith("openai");
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.message).toContain(OPENAI_MODEL);
    expect(body.error.message).toContain(fake.openaiBaseUrl);
    expect(fake.requestsFor("openai")).toHaveLength(1);
  });

  it("closes the connection to the OpenAI-compatible server when the client goes away mid-answer", async () => {
    fake.reply(openai.streamReply([openai.deltaChunk({ role: "assistant", content: "First words" })], { hangAfter: true }));
    const controller = new AbortController();
    const response = await analyzeWith("openai", { signal: controller.signal });
    const reader = readAnalyzeEvents(response.body!);
    expect((await reader.next()).value).toMatchObject({ event: "meta", data: { provider: "openai" } });
    expect((await reader.next()).value).toEqual({ event: "delta", data: { text: "First words" } });
    const mark = logMark();
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code: "request_cancelled", provider: "openai" });
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});

describe("a wrong setting", () => {
  it.each<{ name: string; env: Record<string, string> }>([
    { name: "MAX_UPLOAD_MB", env: { MAX_UPLOAD_MB: "lots" } },
    { name: "MODEL_IDLE_TIMEOUT_SECONDS", env: { MODEL_IDLE_TIMEOUT_SECONDS: "0" } },
    { name: "OPENAI_BASE_URL", env: { OPENAI_BASE_URL: "http://admin:hunter2@10.0.0.5:8000/v1", OPENAI_MODEL: "m" } },
    // A base URL that is not a URL at all must get the same treatment.
    { name: "GEMINI_BASE_URL", env: { GEMINI_API_KEY: "key", GEMINI_BASE_URL: "not a url" } },
  ])("stops the server at start-up with a message naming $name", async ({ name, env }) => {
    const { exitCode, output } = await startNextServerExpectingExit({ ...env, UPLOAD_DIR: uploadDir });
    expect(output).toContain("Invalid configuration");
    expect(output).toContain(name);
    expect(output).not.toContain("hunter2");
    expect(exitCode).not.toBeNull();
    expect(exitCode).not.toBe(0);
  });
});
