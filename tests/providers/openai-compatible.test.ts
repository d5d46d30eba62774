import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import { createOpenAICompatibleProvider } from "@/lib/providers/openai-compatible";
import { SYSTEM_INSTRUCTION } from "@/lib/providers/system-instruction";
import type { ProviderEvent } from "@/lib/providers/types";
import { closedPortUrl, DEFAULT_ANSWER, startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import { deltaChunk, errorReply, ollamaErrorReply, streamReply, textReply } from "@/tests/helpers/fake-openai";
import { diagramPng } from "@/tests/helpers/images";
import { writeTemp } from "@/tests/helpers/temp-files";

/** The OpenAI-compatible provider, through the real `openai` SDK, against the fake's Chat Completions route. */

let fake: FakeModelServer;
let image: PreparedImage;

beforeAll(async () => {
  fake = await startFakeModelServer();
  image = await prepareImage(await writeTemp(await diagramPng()), { maxPixels: 1e8, maxEdge: 3072 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

interface Options {
  maxRetries?: number;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
}

function provider({ maxRetries = 0, baseUrl = fake.openaiBaseUrl, model = "qwen2.5vl:7b", apiKey }: Options = {}) {
  return createOpenAICompatibleProvider({ baseUrl, model, apiKey }, { maxRetries });
}

async function collect(options: Options = {}): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  const signal = new AbortController().signal;
  for await (const event of provider(options).analyze({ image, prompt: "Explain this architecture", signal })) events.push(event);
  return events;
}

/** Runs the provider to its end: the events it yielded, and the AppError it ended with. */
async function failure(options: Options = {}): Promise<{ error: AppError; events: ProviderEvent[] }> {
  const events: ProviderEvent[] = [];
  try {
    for await (const event of provider(options).analyze({ image, prompt: "Explain", signal: new AbortController().signal })) {
      events.push(event);
    }
  } catch (error) {
    if (error instanceof AppError) return { error, events };
    throw error;
  }
  throw new Error(`expected the provider to fail, got ${JSON.stringify(events)}`);
}

describe("OpenAI-compatible provider against a fake Chat Completions server", () => {
  it("sends the system instruction, the image as a data URL and the task, streaming with usage", async () => {
    fake.reply(textReply(["## Overview", "\nAn API", " in front of a function."]));
    const events = await collect({ apiKey: "sk-test" });

    expect(events).toEqual([
      { type: "delta", text: "## Overview" },
      { type: "delta", text: "\nAn API" },
      { type: "delta", text: " in front of a function." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
    ]);
    const requests = fake.requestsFor("openai");
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.model).toBe("qwen2.5vl:7b");
    expect(request?.apiKey).toBe("sk-test");
    expect(request?.body).toMatchObject({ model: "qwen2.5vl:7b", stream: true, stream_options: { include_usage: true } });
    expect(request?.body.messages).toEqual([
      { role: "system", content: SYSTEM_INSTRUCTION },
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: `data:image/png;base64,${image.data.toString("base64")}` } },
          { type: "text", text: "Explain this architecture" },
        ],
      },
    ]);
    expect(image.mimeType).toBe("image/png");
  });

  it("ends the answer at [DONE] without the usage chunk when the server sends none", async () => {
    fake.reply(textReply(["Short answer."], { usage: null }));
    const events = await collect();
    expect(events).toEqual([
      { type: "delta", text: "Short answer." },
      { type: "done", finishReason: "stop" },
    ]);
  });

  it('reports finish_reason "length" as "length"', async () => {
    fake.reply(textReply(["A long answer"], { finishReason: "length" }));
    const events = await collect();
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "length" });
  });

  it("works without an API key, as local servers (Ollama, vLLM, LM Studio) need none", async () => {
    const events = await collect({ apiKey: undefined });
    expect(events[0]).toEqual({ type: "delta", text: DEFAULT_ANSWER });
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    expect(fake.requestsFor("openai")).toHaveLength(1);
  });

  it.each([401, 403])("maps HTTP %i to provider_auth 502 without repeating the key", async (status) => {
    fake.reply(errorReply(status, "Incorrect API key provided: sk-wrong.", { type: "invalid_request_error", code: "invalid_api_key" }));
    const { error } = await failure({ apiKey: "sk-wrong" });
    expect(error).toMatchObject({ code: "provider_auth", status: 502 });
    expect(error.message).toContain("API key");
    expect(error.message).not.toContain("sk-wrong");
  });

  it("maps a 404 to model_not_found 502 naming the model and the server", async () => {
    fake.reply(ollamaErrorReply(404, 'model "llava:34b" not found, try pulling it first'));
    const { error } = await failure({ model: "llava:34b" });
    expect(error).toMatchObject({ code: "model_not_found", status: 502 });
    expect(error.message).toContain("llava:34b");
    expect(error.message).toContain(fake.openaiBaseUrl);
  });

  it("maps a 429 to provider_quota 503 with the wait from Retry-After", async () => {
    fake.reply(errorReply(429, "Rate limit reached.", { type: "requests", code: "rate_limit_exceeded", headers: { "Retry-After": "7" } }));
    const { error } = await failure({ maxRetries: 0 });
    expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 7 });
    expect(error.message).toContain("7 s");
    expect(fake.requestsFor("openai")).toHaveLength(1);
  });

  // Same policy as Gemini (lib/providers/gemini.ts, RETRYABLE_STATUSES) and MODEL_MAX_RETRIES'
  // documentation: retries are for 5xx and 408; a 429 is reported with its wait at once.
  it("does not retry a 429, even with retries allowed", async () => {
    fake.reply(errorReply(429, "Rate limit reached.", { type: "requests", code: "rate_limit_exceeded", headers: { "Retry-After": "1" } }));
    const { error } = await failure({ maxRetries: 2 });
    expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 1 });
    expect(fake.requestsFor("openai")).toHaveLength(1);
  });

  it.each([500, 503])("maps HTTP %i with no retries left to provider_unavailable 503", async (status) => {
    fake.reply(errorReply(status, "The server had an error while processing your request.", { type: "server_error" }));
    const { error } = await failure({ maxRetries: 0 });
    expect(error).toMatchObject({ code: "provider_unavailable", status: 503 });
    expect(error.message).toContain(`HTTP ${status}`);
    expect(fake.requestsFor("openai")).toHaveLength(1);
  });

  it("retries a 503 and streams the answer when the second attempt succeeds", async () => {
    fake.reply(errorReply(503, "Overloaded", { type: "server_error" }), textReply(["Recovered."]));
    const events = await collect({ maxRetries: 1 });
    expect(events[0]).toEqual({ type: "delta", text: "Recovered." });
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    expect(fake.requestsFor("openai")).toHaveLength(2);
  });

  it.each([
    { server: "Ollama", reply: ollamaErrorReply(400, "llama3 does not support images") },
    {
      server: "vLLM",
      reply: errorReply(400, "meta-llama/Llama-3.1-8B-Instruct is not a multimodal model", { type: "BadRequestError", code: "400" }),
    },
  ])("maps $server's 400 for a text-only model to image_not_supported 502", async ({ reply }) => {
    fake.reply(reply);
    const { error } = await failure({ model: "llama3" });
    expect(error).toMatchObject({ code: "image_not_supported", status: 502 });
    expect(error.message).toContain("llama3");
    expect(error.message).toContain(fake.openaiBaseUrl);
  });

  it("maps another 400 to provider_rejected 502 quoting the server", async () => {
    fake.reply(errorReply(400, "max_tokens is too large: 999999.", { code: "invalid_value" }));
    const { error } = await failure();
    expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
    expect(error.message).toContain("HTTP 400");
    expect(error.message).toContain("max_tokens is too large: 999999.");
  });

  it("maps a refused connection to provider_unreachable 502 naming the URL", async () => {
    const url = `${await closedPortUrl()}/v1`;
    const { error, events } = await failure({ baseUrl: url });
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: "provider_unreachable", status: 502 });
    expect(error.message).toContain(`Cannot reach the model server at ${url}`);
  });

  it("yields the text sent before a content_filter stop, then fails with content_blocked", async () => {
    fake.reply(textReply(["The diagram shows", " a"], { finishReason: "content_filter" }));
    const { error, events } = await failure();
    expect(events).toEqual([
      { type: "delta", text: "The diagram shows" },
      { type: "delta", text: " a" },
    ]);
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
  });

  it("keeps the text already yielded and fails with provider_error when the server drops the connection", async () => {
    fake.reply(streamReply([deltaChunk({ role: "assistant", content: "Partial" }), deltaChunk({ content: " answer" })], { dropAfter: true, delayMs: 20 }));
    const { error, events } = await failure();
    expect(events).toEqual([
      { type: "delta", text: "Partial" },
      { type: "delta", text: " answer" },
    ]);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("broke off");
  });

  it("ends quietly when aborted mid-answer, and closes the connection to the server", async () => {
    fake.reply(streamReply([deltaChunk({ role: "assistant", content: "First words" })], { hangAfter: true }));
    const controller = new AbortController();
    const events: ProviderEvent[] = [];
    let disconnected: Promise<void> | undefined;
    for await (const event of provider().analyze({ image, prompt: "Explain", signal: controller.signal })) {
      events.push(event);
      disconnected ??= fake.nextClientDisconnect();
      controller.abort();
    }
    await disconnected;
    // Nothing after the abort: in particular no "done", which would claim a complete answer.
    expect(events).toEqual([{ type: "delta", text: "First words" }]);
  });
});
