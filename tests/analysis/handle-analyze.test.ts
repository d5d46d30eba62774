import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { getAuthRuntime } from "@/lib/auth/identity";
import { parseConfig, type AppConfig } from "@/lib/config";
import { createAnalyzeHandler, type AnalyzeDependencies, type AnalyzeHandler } from "@/lib/analysis/handle-analyze";
import { createImageStore } from "@/lib/image/image-store";
import { getLogger } from "@/lib/ops/logger";
import { getHistoryStore } from "@/lib/store/database";
import type { HistoryStore } from "@/lib/store/history-store";
import type { ProviderRegistry } from "@/lib/providers";
import type { AnalysisInput, Provider, ProviderEvent } from "@/lib/providers/types";
import {
  ANALYZE_FIELDS,
  ANALYZE_PROTOCOL_HEADER,
  ANALYZE_PROTOCOL_VERSION,
  type AnalyzeEvent,
} from "@/lib/shared/analyze-contract";
import { type ErrorBody, AppError, ERROR_STATUS } from "@/lib/shared/errors";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import { diagramPng } from "@/tests/helpers/images";

/** A provider whose answer each test scripts; it remembers what it was asked. */
interface FakeProvider extends Provider {
  inputs: AnalysisInput[];
  answerWith(answer: (input: AnalysisInput) => Promise<AsyncIterable<ProviderEvent>>): void;
}

function fakeProvider(): FakeProvider {
  let answer: (input: AnalysisInput) => Promise<AsyncIterable<ProviderEvent>> = async () => streamOf([{ type: "done", finishReason: "stop" }]);
  const provider: FakeProvider = {
    id: "gemini",
    model: "fake-vision-model",
    label: "Fake · fake-vision-model",
    depths: [],
    inputs: [],
    answerWith(next) {
      answer = next;
    },
    analyze(input) {
      provider.inputs.push(input);
      return answer(input);
    },
  };
  return provider;
}

async function* streamOf(events: ProviderEvent[]): AsyncGenerator<ProviderEvent> {
  for (const event of events) yield event;
}

function registryOf(provider: Provider): ProviderRegistry {
  return {
    defaultProvider: provider,
    providers: [provider],
    choose: (id) => {
      if (id !== undefined && id !== provider.id) throw new AppError("invalid_request", `The provider “${id}” is not configured.`);
      return provider;
    },
  };
}

let uploadDirectory: string;
let config: AppConfig;
let png: Buffer;
let provider: FakeProvider;
let handle: AnalyzeHandler;
let dataDirectory: string;
let history: HistoryStore;

beforeAll(async () => {
  uploadDirectory = await mkdtemp(path.join(os.tmpdir(), "mra-handle-analyze-"));
  dataDirectory = await mkdtemp(path.join(os.tmpdir(), "mra-handle-analyze-data-"));
  config = parseConfig({ UPLOAD_DIR: uploadDirectory, DATA_DIR: dataDirectory });
  history = await getHistoryStore(config);
  png = await diagramPng(300);
});
afterAll(async () => {
  await history.db.destroy();
  await rm(uploadDirectory, { recursive: true, force: true });
  await rm(dataDirectory, { recursive: true, force: true });
});

function handlerWith(overrides: Partial<AnalyzeDependencies> = {}): AnalyzeHandler {
  return createAnalyzeHandler({
    config,
    providers: registryOf(provider),
    imageStore: createImageStore({ maxBytes: 64 * 1024 * 1024, ttlMs: 60_000 }),
    history: async () => history,
    auth: () => getAuthRuntime(config),
    ...overrides,
  });
}

beforeEach(() => {
  // One log line per request is the handler's business, not these tests'.
  vi.spyOn(getLogger(), "info").mockImplementation(() => undefined);
  vi.spyOn(getLogger(), "error").mockImplementation(() => undefined);
  provider = fakeProvider();
  handle = handlerWith();
});
afterEach(() => vi.restoreAllMocks());

interface AnalyzeRequestParts {
  prompt?: string;
  image?: Buffer;
  imageId?: string;
  conversationId?: string;
  replaceTurnId?: string;
  headers?: Record<string, string>;
}

/** A real multipart POST, as the page's FormData makes it. */
function analyzeRequest({ prompt, image, imageId, conversationId, replaceTurnId, headers = {} }: AnalyzeRequestParts): Request {
  const form = new FormData();
  if (prompt !== undefined) form.append(ANALYZE_FIELDS.prompt, prompt);
  if (image) form.append(ANALYZE_FIELDS.image, new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  if (imageId) form.append(ANALYZE_FIELDS.imageId, imageId);
  if (conversationId) form.append(ANALYZE_FIELDS.conversationId, conversationId);
  if (replaceTurnId) form.append(ANALYZE_FIELDS.replaceTurnId, replaceTurnId);
  // A server's requests carry the Host they were sent to; a Request built here has none of its own.
  return new Request("http://localhost/api/analyze", { method: "POST", body: form, headers: { host: "localhost", ...headers } });
}

async function eventsOf(response: Response): Promise<AnalyzeEvent[]> {
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(response.body!)) events.push(event);
  return events;
}

async function errorOf(response: Response): Promise<ErrorBody["error"]> {
  expect(response.headers.get("content-type")).toContain("application/json");
  expect(response.headers.get(ANALYZE_PROTOCOL_HEADER)).toBe(ANALYZE_PROTOCOL_VERSION);
  return ((await response.json()) as ErrorBody).error;
}

describe("createAnalyzeHandler", () => {
  it("streams meta, the model's deltas and done, with the protocol header", async () => {
    provider.answerWith(async () =>
      streamOf([
        { type: "delta", text: "## Overview\n" },
        { type: "delta", text: "An API in front of a queue." },
        { type: "done", finishReason: "stop", usage: { totalTokens: 42 } },
      ]),
    );
    const response = await handle(analyzeRequest({ prompt: "Explain this architecture", image: png }));

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(response.headers.get(ANALYZE_PROTOCOL_HEADER)).toBe(ANALYZE_PROTOCOL_VERSION);
    const [meta, ...rest] = await eventsOf(response);
    expect(meta).toMatchObject({
      event: "meta",
      data: { provider: "gemini", model: "fake-vision-model", image: { width: 300, mimeType: expect.stringMatching(/^image\//) } },
    });
    expect(meta?.event === "meta" && meta.data.imageId).toEqual(expect.any(String));
    expect(rest).toEqual([
      { event: "delta", data: { text: "## Overview\n" } },
      { event: "delta", data: { text: "An API in front of a queue." } },
      { event: "done", data: { finishReason: "stop", usage: { totalTokens: 42 } } },
    ]);
    expect(provider.inputs).toHaveLength(1);
    expect(provider.inputs[0]).toMatchObject({ prompt: "Explain this architecture", history: [] });
    // The upload's temporary file is gone once the image is prepared.
    expect(await readdir(uploadDirectory)).toEqual([]);
  });

  it("answers a follow-up that names the kept image without the file", async () => {
    const first = await eventsOf(await handle(analyzeRequest({ prompt: "Explain", image: png })));
    const imageId = first[0]?.event === "meta" ? first[0].data.imageId : undefined;
    expect(imageId).toBeDefined();

    const response = await handle(analyzeRequest({ prompt: "And the queue?", imageId }));
    expect(response.status).toBe(200);
    expect((await eventsOf(response))[0]).toMatchObject({ event: "meta", data: { imageId } });
    expect(provider.inputs[1]?.image).toBe(provider.inputs[0]?.image);
  });

  it("answers a provider failure before the first token with a JSON error and the table's status", async () => {
    provider.answerWith(async () => {
      throw new AppError("provider_quota", "Fake is rate-limiting this server. Try again in 7 s.", { retryAfterSeconds: 7 });
    });
    const response = await handle(analyzeRequest({ prompt: "Explain", image: png }));

    expect(response.status).toBe(ERROR_STATUS.provider_quota);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await errorOf(response)).toEqual({
      code: "provider_quota",
      message: "Fake is rate-limiting this server. Try again in 7 s.",
      retryAfterSeconds: 7,
    });
  });

  it("refuses a cross-site request with 403 before reading it", async () => {
    const response = await handle(analyzeRequest({ prompt: "Explain", image: png, headers: { "sec-fetch-site": "cross-site" } }));

    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("cross_site_request");
    expect(provider.inputs).toEqual([]);
  });

  it("answers a request without a task with 400 missing_prompt", async () => {
    const response = await handle(analyzeRequest({ image: png }));

    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("missing_prompt");
    expect(provider.inputs).toEqual([]);
    expect(await readdir(uploadDirectory)).toEqual([]);
  });

  it("answers a follow-up whose image the server no longer keeps with 410 image_expired", async () => {
    const response = await handle(analyzeRequest({ prompt: "And then?", imageId: "a".repeat(43) }));

    expect(response.status).toBe(410);
    expect((await errorOf(response)).code).toBe("image_expired");
    expect(provider.inputs).toEqual([]);
  });
});

function savedIds(events: AnalyzeEvent[]): { conversationId: string; turnId: string } {
  const meta = events[0];
  if (meta?.event !== "meta" || !meta.data.conversationId || !meta.data.turnId) throw new Error(`No saved ids in ${JSON.stringify(meta)}`);
  return { conversationId: meta.data.conversationId, turnId: meta.data.turnId };
}

describe("createAnalyzeHandler saving the conversation", () => {
  it("saves the turn as it streams and names it in meta; the saved answer is complete before done is sent", async () => {
    provider.answerWith(async () =>
      streamOf([
        { type: "thought", text: "Reading the labels" },
        { type: "delta", text: "An API in front " },
        { type: "delta", text: "of a queue." },
        { type: "done", finishReason: "stop", usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 } },
      ]),
    );
    const response = await handle(analyzeRequest({ prompt: "Explain this architecture", image: png }));
    const reader = readAnalyzeEvents(response.body!);
    const events: AnalyzeEvent[] = [];
    let savedWhenDone: unknown;
    for await (const event of reader) {
      events.push(event);
      if (event.event === "done") savedWhenDone = await history.getConversation("local", savedIds(events).conversationId);
    }
    expect(events.map((event) => event.event)).toEqual(["meta", "thought", "delta", "delta", "done"]);
    expect(savedWhenDone).toMatchObject({
      title: "Explain this architecture",
      image: { width: 300 },
      turns: [{ id: savedIds(events).turnId, task: "Explain this architecture", answer: "An API in front of a queue.", thoughts: "Reading the labels", status: "complete", provider: "gemini", model: "fake-vision-model", finishReason: "stop", usage: { totalTokens: 12 } }],
    });
  });

  it("continues a saved conversation with only its id, reading the image from the store when no cache has it", async () => {
    provider.answerWith(async () => streamOf([{ type: "delta", text: "First answer." }, { type: "done", finishReason: "stop" }]));
    const { conversationId, turnId } = savedIds(await eventsOf(await handle(analyzeRequest({ prompt: "Explain", image: png }))));

    // Another instance, or this one after a restart: an empty image cache, the same database.
    const elsewhere = handlerWith();
    provider.answerWith(async () => streamOf([{ type: "delta", text: "Second answer." }, { type: "done", finishReason: "stop" }]));
    const followUp = await eventsOf(await elsewhere(analyzeRequest({ prompt: "And the queue?", conversationId })));
    expect(savedIds(followUp).conversationId).toBe(conversationId);
    expect(provider.inputs[1]).toMatchObject({ prompt: "And the queue?", history: [{ task: "Explain", answer: "First answer." }] });
    expect(provider.inputs[1]?.image.data.equals(provider.inputs[0]!.image.data)).toBe(true);

    // Answering the first turn again replaces it and drops the one after it.
    provider.answerWith(async () => streamOf([{ type: "delta", text: "Better first answer." }, { type: "done", finishReason: "stop" }]));
    await eventsOf(await elsewhere(analyzeRequest({ prompt: "Explain", conversationId, replaceTurnId: turnId })));
    expect(provider.inputs[2]?.history).toEqual([]);
    const saved = await history.getConversation("local", conversationId);
    expect(saved?.turns.map((turn) => turn.answer)).toEqual(["Better first answer."]);
  });

  it("answers 404 for a conversation that is not there, and 400 for a file sent with a conversation id", async () => {
    const unknown = await handle(analyzeRequest({ prompt: "And then?", conversationId: "x".repeat(22) }));
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe("not_found");

    const both = await handle(analyzeRequest({ prompt: "And then?", conversationId: "x".repeat(22), image: png }));
    expect(both.status).toBe(400);
    expect((await errorOf(both)).message).toMatch(/either a new image or a conversationId/);

    const malformed = await handle(analyzeRequest({ prompt: "And then?", conversationId: "../etc" }));
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).message).toBe("The conversation id is not valid.");
    expect(provider.inputs).toEqual([]);
  });

  it("streams the whole answer when the database fails, tells the page once that it is not saved, and logs why", async () => {
    const failing = handlerWith({ history: async () => Promise.reject(new Error("database is locked")) });
    provider.answerWith(async () => streamOf([{ type: "delta", text: "Still " }, { type: "delta", text: "answered." }, { type: "done", finishReason: "stop" }]));
    const events = await eventsOf(await failing(analyzeRequest({ prompt: "Explain", image: png })));
    expect(events.map((event) => event.event)).toEqual(["meta", "unsaved", "delta", "delta", "done"]);
    expect(events[0]).not.toHaveProperty("data.conversationId");
    expect(JSON.stringify(vi.mocked(getLogger().error).mock.calls)).toContain("database is locked");
  });

  it("tells the page when the database fails mid-answer, and the answer goes on", async () => {
    let fail = () => undefined as void;
    const failNow = new Promise<void>((resolve) => (fail = resolve));
    const breaking: HistoryStore = Object.create(history);
    breaking.recordTurn = async () => Promise.reject(new Error("connection terminated"));
    const flaky = handlerWith({ history: async () => breaking });
    provider.answerWith(async () =>
      (async function* () {
        yield { type: "delta", text: "Before. " } as ProviderEvent;
        await failNow;
        yield { type: "delta", text: "After." } as ProviderEvent;
        yield { type: "done", finishReason: "stop" } as ProviderEvent;
      })(),
    );
    const response = await flaky(analyzeRequest({ prompt: "Explain", image: png }));
    const events: AnalyzeEvent[] = [];
    for await (const event of readAnalyzeEvents(response.body!)) {
      events.push(event);
      if (event.event === "delta" && event.data.text === "Before. ") fail();
    }
    expect(events.map((event) => event.event)).toEqual(["meta", "delta", "delta", "unsaved", "done"]);
    expect(savedIds(events).conversationId).toEqual(expect.any(String));
  });

  it("saves an answer that fails mid-way as failed, with the text shown and the error", async () => {
    provider.answerWith(async () =>
      (async function* () {
        yield { type: "delta", text: "Half an answer" } as ProviderEvent;
        throw new AppError("content_blocked", "The model stopped: its safety filter blocked the answer.");
      })(),
    );
    const events = await eventsOf(await handle(analyzeRequest({ prompt: "Explain", image: png })));
    expect(events.at(-1)).toMatchObject({ event: "error", data: { code: "content_blocked" } });
    const saved = await history.getConversation("local", savedIds(events).conversationId);
    expect(saved?.turns[0]).toMatchObject({ answer: "Half an answer", status: "failed", errorCode: "content_blocked", errorMessage: expect.stringMatching(/safety/) });
  });

  it("saves an answer the person stopped as stopped, with the text they saw", async () => {
    provider.answerWith(async (input) =>
      (async function* () {
        yield { type: "delta", text: "Shown before Stop" } as ProviderEvent;
        await new Promise((resolve) => input.signal.addEventListener("abort", resolve, { once: true }));
      })(),
    );
    const response = await handle(analyzeRequest({ prompt: "Explain", image: png }));
    // The page closing its connection: the server cancels the response body.
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("Shown before Stop")) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const conversationId = /"conversationId":"([\w-]+)"/.exec(text)?.[1];
    expect(conversationId).toBeDefined();
    await expect.poll(async () => (await history.getConversation("local", conversationId!))?.turns[0]?.status).toBe("stopped");
    expect((await history.getConversation("local", conversationId!))?.turns[0]?.answer).toBe("Shown before Stop");
  });
});
