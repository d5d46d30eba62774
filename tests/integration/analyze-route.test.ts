import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { openUpload } from "@/tests/helpers/hostile-bodies";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
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
    GEMINI_MODEL: "gemini-3-int",
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

/** Any form: text fields (undefined ones left out) and, when given, the image file. */
function post(fields: Record<string, string | undefined>, image?: Uint8Array, init: RequestInit = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
  if (image) form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
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

const metaOf = (events: AnalyzeEvent[]) => (events[0]?.event === "meta" ? events[0].data : undefined);

/** What the image store makes: base64url of an HMAC-SHA256. */
const IMAGE_ID = /^[\w-]{43}$/;

/** Whether a read is still waiting after `ms`: nothing has arrived. */
async function stillWaiting(read: Promise<unknown>, ms = 300): Promise<boolean> {
  const marker = Symbol("waiting");
  return (await Promise.race([read, new Promise((resolve) => setTimeout(() => resolve(marker), ms))])) === marker;
}

/**
 * Where the server's output stands once it is quiet: the log lines of the requests that follow
 * are after it. A request's line is written when its answer ends, which can be just after the
 * client has read the last byte: the previous test's line must not count as this one's.
 */
async function logMark(): Promise<number> {
  let seen = -1;
  for (;;) {
    const now = server.output().length;
    if (now === seen) return now;
    seen = now;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Waits for the log line of the one request made since `mark`, which the server writes when the request ends. */
async function loggedSince(mark: number): Promise<Record<string, unknown>> {
  await expect.poll(() => analyzeLogLines(server.output().slice(mark)), { timeout: 5_000 }).toHaveLength(1);
  return analyzeLogLines(server.output().slice(mark))[0]!;
}

describe("POST /api/analyze", () => {
  it("streams meta, deltas and done, and sends the prepared image and the task to Gemini", async () => {
    fake.reply(gemini.textReply(["## Overview\n", "An API in front of a function.", "\n\n| a | b |\n|---|---|\n| 1 | 2 |"]));
    const mark = await logMark();
    const wide = await diagramPng(2400);
    const response = await analyze(wide, "  Explain this architecture  ");

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = await readAll(response);
    expect(events.map((event) => event.event)).toEqual(["meta", "delta", "delta", "delta", "done"]);
    expect(events[0]).toEqual({
      event: "meta",
      data: {
        provider: "gemini",
        model: "gemini-3-int",
        image: { width: MAX_EDGE, height: 410, bytes: expect.any(Number), mimeType: "image/png" },
        // The server keeps the prepared image for follow-up questions.
        imageId: expect.stringMatching(IMAGE_ID),
        // And saves the conversation (tests/integration/history.test.ts).
        conversationId: expect.any(String),
        turnId: expect.any(String),
      },
    });
    expect(textOf(events)).toBe("## Overview\nAn API in front of a function.\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(events.at(-1)).toEqual({
      event: "done",
      data: { finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
    });

    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requestsFor("gemini");
    expect(request?.model).toBe("gemini-3-int");
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
      requestId: response.headers.get("x-request-id"),
      // Who asked (AUTH_MODE=none: the local owner), for the per-person usage an admin reads.
      person: "local",
      provider: "gemini",
      model: "gemini-3-int",
      image: `${MAX_EDGE}x410 image/png ${meta?.image.bytes}B`,
      finishReason: "stop",
      totalTokens: 1332,
      bytesIn: expect.any(Number),
      bytesSent: expect.any(Number),
      phases: { uploadMs: expect.any(Number), prepareMs: expect.any(Number), firstTokenMs: expect.any(Number), streamMs: expect.any(Number) },
    });
    // The task's text stays out of the log unless LOG_PROMPTS=true.
    expect(server.output()).not.toContain("Explain this architecture");
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
    const mark = await logMark();
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
    const mark = await logMark();
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
    { name: "unknown model", reply: gemini.errorReply(404, "models/gemini-3-int is not found", "NOT_FOUND"), status: 502, code: "model_not_found" },
    { name: "outage", reply: gemini.errorReply(503, "The model is overloaded.", "UNAVAILABLE"), status: 503, code: "provider_unavailable" },
    { name: "refused key (401)", reply: gemini.errorReply(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED"), status: 502, code: "provider_auth" },
    { name: "rate limit (429) on the OpenAI-compatible server", reply: openai.errorReply(429, "Rate limit reached", { headers: { "Retry-After": "20" } }), status: 503, code: "provider_quota", provider: "openai" },
  ])("answers a provider $name before the first token with $status JSON", async ({ reply, status, code, provider }) => {
    fake.reply(reply);
    const response = await analyzeWith(provider);
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).not.toMatch(/unknown error|stack|at .*\.js/i);
    if (code === "provider_quota") expect(response.headers.get("retry-after")).toBe(provider === "openai" ? "20" : "12");
  });

  it("sends meta as soon as the model has accepted the request, before its first token", async () => {
    fake.reply(gemini.textReply(["Late words."], { holdAfter: 0 }));
    const response = await analyze(await diagramPng(), "Explain");
    expect(response.status).toBe(200);
    const reader = readAnalyzeEvents(response.body!);
    expect((await reader.next()).value).toMatchObject({ event: "meta", data: { provider: "gemini" } });
    const next = reader.next();
    expect(await stillWaiting(next)).toBe(true);
    fake.release();
    expect((await next).value).toEqual({ event: "delta", data: { text: "Late words." } });
    expect((await reader.next()).value).toMatchObject({ event: "done" });
  });

  it("ends with a provider_timeout error event after meta when the accepted model never starts answering, and hangs up on it", async () => {
    fake.reply(gemini.streamReply([], { hangAfter: true }));
    const mark = await logMark();
    const disconnected = fake.nextClientDisconnect();
    const response = await analyze(await diagramPng(), "Explain");
    expect(response.status).toBe(200);
    const events = await readAll(response);
    expect(events.map((event) => event.event)).toEqual(["meta", "error"]);
    expect(events.at(-1)).toEqual({
      event: "error",
      data: { code: "provider_timeout", message: expect.stringContaining("did not start answering within 3 s") },
    });
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code: "provider_timeout", provider: "gemini" });
  });

  it("gives up with 504 JSON when the model does not even accept the request within the first-token timeout", async () => {
    fake.reply(gemini.textReply(["Too late."], { holdHeaders: true }));
    const mark = await logMark();
    const disconnected = fake.nextClientDisconnect();
    const response = await analyze(await diagramPng(), "Explain");
    expect(response.status).toBe(504);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("provider_timeout");
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 504, code: "provider_timeout" });
  });

  // Errors the model sends inside its 200 stream before any text come after meta now: the page
  // shows them in the answer's place.
  it.each([
    { name: "a block", chunk: { promptFeedback: { blockReason: "PROHIBITED_CONTENT" } }, code: "content_blocked", says: "PROHIBITED_CONTENT" },
    {
      name: "an error inside the stream",
      chunk: { error: { code: 429, message: "Resource has been exhausted.", status: "RESOURCE_EXHAUSTED", details: [] } },
      code: "provider_quota",
      says: "rate-limiting",
    },
  ])("sends $name before the first token as an error event after meta", async ({ chunk, code, says }) => {
    fake.reply(gemini.streamReply([chunk]));
    const mark = await logMark();
    const response = await analyze(await diagramPng(), "Explain");
    expect(response.status).toBe(200);
    const events = await readAll(response);
    expect(events.map((event) => event.event)).toEqual(["meta", "error"]);
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code, message: expect.stringContaining(says) } });
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code });
  });

  it("streams Gemini's thought summaries as thought events, apart from the answer", async () => {
    fake.reply(gemini.thinkingReply(["**Reading** the labels.", " Following the arrows."], ["## Overview\n", "An API."]));
    const events = await readAll(await analyze(await diagramPng(), "Explain"));
    expect(events.map((event) => event.event)).toEqual(["meta", "thought", "thought", "delta", "delta", "done"]);
    expect(events.filter((event) => event.event === "thought")).toEqual([
      { event: "thought", data: { text: "**Reading** the labels." } },
      { event: "thought", data: { text: " Following the arrows." } },
    ]);
    expect(textOf(events)).toBe("## Overview\nAn API.");
  });

  it("streams an OpenAI-compatible server's reasoning as thought events", async () => {
    fake.reply(openai.reasoningReply(["The user wants an overview."], ["An API."], { field: "reasoning" }));
    const events = await readAll(await analyzeWith("openai"));
    expect(events.map((event) => event.event)).toEqual(["meta", "thought", "delta", "done"]);
    expect(events[1]).toEqual({ event: "thought", data: { text: "The user wants an overview." } });
  });
});

describe("POST /api/analyze when the model stalls or the client leaves", () => {
  it.each([
    { provider: "gemini", reply: gemini.streamReply([gemini.candidateChunk([{ text: "First words" }])], { hangAfter: true }) },
    { provider: "openai", reply: openai.streamReply([openai.deltaChunk({ role: "assistant", content: "First words" })], { hangAfter: true }) },
  ])("ends a $provider answer that stalls mid-way with a provider_timeout error event, keeping the text, and hangs up on the model", async ({ provider, reply }) => {
    fake.reply(reply);
    const mark = await logMark();
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

  it("logs a client that leaves before the model accepted the request as 499 request_cancelled, and hangs up on the model", async () => {
    fake.reply(gemini.textReply(["Too late."], { holdHeaders: true }));
    const mark = await logMark();
    const controller = new AbortController();
    const pending = analyze(await diagramPng(), "Explain", { signal: controller.signal }).catch((error: unknown) => error);
    await expect.poll(() => fake.requests.length).toBe(1);
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    expect(((await pending) as Error).name).toBe("AbortError");
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 499, code: "request_cancelled" });
  });

  it("logs a client that leaves after meta, while the model thinks, as request_cancelled, and hangs up on the model", async () => {
    fake.reply(gemini.streamReply([], { hangAfter: true }));
    const controller = new AbortController();
    const response = await analyze(await diagramPng(), "Explain", { signal: controller.signal });
    const reader = readAnalyzeEvents(response.body!);
    expect((await reader.next()).value?.event).toBe("meta");
    const mark = await logMark();
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    await disconnected;
    // Not the first-token timeout (3 s): the client's leaving ended it.
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code: "request_cancelled" });
  });
});

describe("POST /api/analyze: follow-up questions about a kept image", () => {
  const HISTORY = [{ task: "What does the API Gateway do?", answer: "## API Gateway\nIt routes requests to the function." }];

  /** A first question about the diagram; its meta (with the kept image's id) and the request Gemini got. */
  async function firstQuestion(provider?: string) {
    const mark = await logMark();
    const events = await readAll(await post({ prompt: HISTORY[0]!.task, provider }, await diagramPng()));
    // Its log line can reach the test after the stream's end: let it, before a later mark is taken.
    await loggedSince(mark);
    const meta = metaOf(events);
    expect(meta?.imageId).toMatch(IMAGE_ID);
    return meta!;
  }

  it("answers a follow-up that names the kept image, sending Gemini the conversation with the image once", async () => {
    const first = await firstQuestion();
    const [firstRequest] = fake.requestsFor("gemini");
    const imageSent = firstRequest?.body.contents[0]?.parts[0]?.inlineData;
    fake.reply(gemini.textReply(["It connects to the function."]));
    const mark = await logMark();

    const response = await post({ prompt: "What does it connect to?", imageId: first.imageId, history: JSON.stringify(HISTORY) });
    expect(response.status).toBe(200);
    const events = await readAll(response);
    // The same kept image; a client that sends its own history starts a new saved conversation.
    expect(metaOf(events)).toEqual({ ...first, conversationId: expect.any(String), turnId: expect.any(String) });
    expect(metaOf(events)?.conversationId).not.toBe(first?.conversationId);
    expect(textOf(events)).toBe("It connects to the function.");

    const followUp = fake.requestsFor("gemini")[1];
    expect(followUp?.body.contents).toEqual([
      { role: "user", parts: [{ inlineData: imageSent }, { text: HISTORY[0]!.task }] },
      { role: "model", parts: [{ text: HISTORY[0]!.answer }] },
      { role: "user", parts: [{ text: "What does it connect to?" }] },
    ]);
    expect(fake.summarise()[1]).toMatchObject({ prompt: "What does it connect to?", userTurns: 2, imageCount: 1 });
    // The log says which turn of the conversation this was.
    expect(await loggedSince(mark)).toMatchObject({ status: 200, turn: 2, image: `${first.image.width}x${first.image.height} image/png ${first.image.bytes}B` });
  });

  it("gives a re-sent image the same id, so the page can keep asking with it", async () => {
    const first = await firstQuestion();
    const mark = await logMark();
    const again = metaOf(await readAll(await post({ prompt: "Explain" }, await diagramPng())));
    expect(again?.imageId).toBe(first.imageId);
    // Its log line is let through before the next test takes its mark.
    await loggedSince(mark);
  });

  it("answers a follow-up through the OpenAI-compatible server with the image in its first user message only", async () => {
    const first = await firstQuestion("openai");
    const response = await post({ prompt: "And the function?", provider: "openai", imageId: first.imageId, history: JSON.stringify(HISTORY) });
    expect(response.status).toBe(200);
    await readAll(response);
    const messages = fake.requestsFor("openai")[1]?.body.messages ?? [];
    expect(messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(messages[3]).toEqual({ role: "user", content: "And the function?" });
    const imageParts = messages.flatMap((message) => (Array.isArray(message.content) ? message.content : [])).filter((part) => part.type === "image_url");
    expect(imageParts).toHaveLength(1);
  });

  it("answers an id the server does not keep with 410 image_expired JSON, before any model call", async () => {
    const mark = await logMark();
    const response = await post({ prompt: "What does it connect to?", imageId: "a".repeat(43), history: JSON.stringify(HISTORY) });
    expect(response.status).toBe(410);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("image_expired");
    expect(body.error.message).toMatch(/no longer keeps the image/);
    expect(fake.requests).toHaveLength(0);
    expect(await loggedSince(mark)).toMatchObject({ status: 410, code: "image_expired" });
  });

  it("answers a form with neither a file nor an id with 400 missing_image", async () => {
    const response = await post({ prompt: "What does it connect to?", history: JSON.stringify(HISTORY) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("missing_image");
  });

  it("prefers a file sent with an id: the page re-uploads after a 410 that way", async () => {
    const response = await post({ prompt: "Explain", imageId: "a".repeat(43) }, await diagramPng());
    expect(response.status).toBe(200);
    expect(metaOf(await readAll(response))?.imageId).toMatch(IMAGE_ID);
  });

  it.each([
    { name: "history that is not JSON", fields: { history: "[{task: 1}]" }, message: "not valid JSON" },
    { name: "history of the wrong shape", fields: { history: JSON.stringify([{ question: "Explain" }]) }, message: "{task, answer}" },
    { name: "an image id with a path in it", fields: { imageId: "../../etc/passwd" }, message: "image id" },
  ])("refuses $name with 400 invalid_request before any model call", async ({ fields, message }) => {
    const response = await post({ prompt: "What does it connect to?", ...fields });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain(message);
    expect(fake.requests).toHaveLength(0);
  });
});

describe("POST /api/analyze: thinking depth", () => {
  const thinkingConfig = () => fake.requestsFor("gemini")[0]?.body.generationConfig?.thinkingConfig;

  it("asks Gemini for thought summaries at the model's own level when the form names no depth", async () => {
    await readAll(await post({ prompt: "Explain" }, await diagramPng()));
    expect(thinkingConfig()).toEqual({ includeThoughts: true });
  });

  it.each([
    ["minimal", "MINIMAL"],
    ["high", "HIGH"],
  ])("sends depth=%s to Gemini as thinkingLevel %s", async (depth, level) => {
    await readAll(await post({ prompt: "Explain", depth }, await diagramPng()));
    expect(thinkingConfig()).toEqual({ includeThoughts: true, thinkingLevel: level });
  });

  it("refuses a depth that is not one of the levels with 400 naming them, before any model call", async () => {
    const response = await post({ prompt: "Explain", depth: "extreme" }, await diagramPng());
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: "invalid_request", message: "Depth must be one of: minimal, low, medium, high." });
    expect(fake.requests).toHaveLength(0);
  });
});

describe("POST /api/analyze from other sites", () => {
  it.each(["cross-site", "same-site"])("refuses Sec-Fetch-Site: %s with 403 cross_site_request before reading the upload", async (site) => {
    const mark = await logMark();
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
    const request = openUpload(server.url, 1_500_000);
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
    expect(await response.json()).toEqual({ status: "ok", provider: "gemini", model: "gemini-3-int" });
  });
});

describe("choosing a provider", () => {
  it("GET /api/providers lists both and the offline analyzer, the default first, by name and model only", async () => {
    const response = await fetch(`${server.url}/api/providers`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      default: "gemini",
      providers: [
        { provider: "gemini", model: "gemini-3-int", label: "Gemini · gemini-3-int", depths: ["minimal", "low", "medium", "high"] },
        { provider: "openai", model: OPENAI_MODEL, label: `${OPENAI_MODEL} · ${new URL(fake.url).host}`, depths: [] },
        { provider: "offline", model: "PP-OCRv4 + layout + catalogue", label: "Offline analyzer · no model, nothing leaves the server", depths: [] },
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
    expect(metaOf(events)).toMatchObject({ provider: "gemini", model: "gemini-3-int" });
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
    const mark = await logMark();
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    await disconnected;
    expect(await loggedSince(mark)).toMatchObject({ status: 200, code: "request_cancelled", provider: "openai" });
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});

describe("a server that keeps no images (IMAGE_CACHE_MB=0)", () => {
  let keepsNone: RunningServer;

  beforeAll(async () => {
    keepsNone = await startNextServer({
      GEMINI_API_KEY: "integration-key",
      GEMINI_MODEL: "gemini-3-int",
      GEMINI_BASE_URL: fake.url,
      MODEL_MAX_RETRIES: "0",
      UPLOAD_DIR: uploadDir,
      IMAGE_CACHE_MB: "0",
    });
  });

  afterAll(async () => {
    await keepsNone?.stop();
  });

  const postTo = (fields: Record<string, string>, image?: Uint8Array) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (image) form.append("image", new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
    return fetch(`${keepsNone.url}/api/analyze`, { method: "POST", body: form });
  };

  it("answers without an image id in meta, so the page sends the file with every question", async () => {
    const events = await readAll(await postTo({ prompt: "Explain" }, await diagramPng()));
    expect(events.map((event) => event.event)).toEqual(["meta", "delta", "done"]);
    expect(metaOf(events)).not.toHaveProperty("imageId");
  });

  it("answers a follow-up that names an id with 410 image_expired", async () => {
    const response = await postTo({ prompt: "And then?", imageId: "a".repeat(43), history: JSON.stringify([{ task: "Explain", answer: "An API." }]) });
    expect(response.status).toBe(410);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("image_expired");
  });
});

describe("a wrong setting", () => {
  it.each<{ name: string; env: Record<string, string> }>([
    { name: "MAX_UPLOAD_MB", env: { MAX_UPLOAD_MB: "lots" } },
    { name: "MODEL_IDLE_TIMEOUT_SECONDS", env: { MODEL_IDLE_TIMEOUT_SECONDS: "0" } },
    { name: "IMAGE_CACHE_MB", env: { IMAGE_CACHE_MB: "-1" } },
    { name: "GEMINI_THINKING_LEVEL", env: { GEMINI_API_KEY: "key", GEMINI_THINKING_LEVEL: "maximum" } },
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
