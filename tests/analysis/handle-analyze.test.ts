import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { parseConfig, type AppConfig } from "@/lib/config";
import { createAnalyzeHandler, type AnalyzeHandler } from "@/lib/analysis/handle-analyze";
import { createImageStore } from "@/lib/image/image-store";
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

beforeAll(async () => {
  uploadDirectory = await mkdtemp(path.join(os.tmpdir(), "mra-handle-analyze-"));
  config = parseConfig({ UPLOAD_DIR: uploadDirectory });
  png = await diagramPng(300);
});
afterAll(() => rm(uploadDirectory, { recursive: true, force: true }));

beforeEach(() => {
  // One log line per request is the handler's business, not these tests'.
  vi.spyOn(console, "info").mockImplementation(() => undefined);
  vi.spyOn(console, "error").mockImplementation(() => undefined);
  provider = fakeProvider();
  handle = createAnalyzeHandler({
    config,
    providers: registryOf(provider),
    imageStore: createImageStore({ maxBytes: 64 * 1024 * 1024, ttlMs: 60_000 }),
  });
});
afterEach(() => vi.restoreAllMocks());

interface AnalyzeRequestParts {
  prompt?: string;
  image?: Buffer;
  imageId?: string;
  headers?: Record<string, string>;
}

/** A real multipart POST, as the page's FormData makes it. */
function analyzeRequest({ prompt, image, imageId, headers = {} }: AnalyzeRequestParts): Request {
  const form = new FormData();
  if (prompt !== undefined) form.append(ANALYZE_FIELDS.prompt, prompt);
  if (image) form.append(ANALYZE_FIELDS.image, new Blob([new Uint8Array(image)], { type: "image/png" }), "diagram.png");
  if (imageId) form.append(ANALYZE_FIELDS.imageId, imageId);
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
