import { describe, expect, it } from "vitest";
import { createOpenAICompatibleProvider } from "@/lib/providers/openai-compatible";
import { SYSTEM_INSTRUCTION } from "@/lib/providers/system-instruction";
import type { AnalysisInput, ProviderEvent } from "@/lib/providers/types";
import { closedPortUrl, DEFAULT_ANSWER } from "@/tests/helpers/fake-model-server";
import {
  deltaChunk,
  errorReply,
  ollamaErrorReply,
  reasoningChunk,
  reasoningReply,
  streamReply,
  textReply,
} from "@/tests/helpers/fake-openai";
import { analysisInput, collect, failure, setUpProviderBench } from "@/tests/helpers/provider-run";

/** The OpenAI-compatible provider, through the real `openai` SDK, against the fake's Chat Completions route. */

const bench = setUpProviderBench();

interface Options {
  maxRetries?: number;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
}

function provider({ maxRetries = 0, baseUrl = bench.fake.openaiBaseUrl, model = "qwen2.5vl:7b", apiKey }: Options = {}) {
  return createOpenAICompatibleProvider({ baseUrl, model, apiKey }, { maxRetries });
}

/** One answer from a fresh provider, as the route asks for a first question unless `input` says otherwise. */
function analyze(options: Options = {}, input: Partial<Omit<AnalysisInput, "image">> = {}) {
  return provider(options).analyze(analysisInput(bench, input));
}

const imageDataUrl = () => `data:image/png;base64,${bench.image.data.toString("base64")}`;

describe("OpenAI-compatible provider against a fake Chat Completions server", () => {
  it("sends the system instruction, the image as a data URL and the task, streaming with usage", async () => {
    bench.fake.reply(textReply(["## Overview", "\nAn API", " in front of a function."]));
    const events = await collect(analyze({ apiKey: "sk-test" }));

    expect(events).toEqual([
      { type: "delta", text: "## Overview" },
      { type: "delta", text: "\nAn API" },
      { type: "delta", text: " in front of a function." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
    ]);
    const requests = bench.fake.requestsFor("openai");
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
          { type: "image_url", image_url: { url: `data:image/png;base64,${bench.image.data.toString("base64")}` } },
          { type: "text", text: "Explain this architecture" },
        ],
      },
    ]);
    expect(bench.image.mimeType).toBe("image/png");
  });

  it("offers no thinking depths: servers differ in what reasoning controls they take", () => {
    expect(provider().depths).toEqual([]);
    expect(provider().defaultDepth).toBeUndefined();
  });

  it("sends no reasoning setting even when the request names a depth", async () => {
    await collect(analyze({}, { depth: "high" }));
    const [request] = bench.fake.requestsFor("openai");
    expect(Object.keys(request?.body ?? {}).sort()).toEqual(["messages", "model", "stream", "stream_options"]);
  });

  it("sends a follow-up as the whole conversation, the image only with the first question", async () => {
    const history = [
      { task: "What does the API Gateway do?", answer: "## API Gateway\nIt routes requests to the function." },
      { task: "And the queue?", answer: "It buffers orders." },
    ];
    await collect(analyze({}, { prompt: "What does it connect to?", history }));
    const [request] = bench.fake.requestsFor("openai");
    expect(request?.body.messages).toEqual([
      { role: "system", content: SYSTEM_INSTRUCTION },
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: imageDataUrl() } },
          { type: "text", text: "What does the API Gateway do?" },
        ],
      },
      { role: "assistant", content: "## API Gateway\nIt routes requests to the function." },
      { role: "user", content: "And the queue?" },
      { role: "assistant", content: "It buffers orders." },
      { role: "user", content: "What does it connect to?" },
    ]);
  });

  describe("a reasoning model's thinking", () => {
    it.each(["reasoning_content", "reasoning"] as const)("yields %s deltas as thought events, apart from the answer", async (field) => {
      bench.fake.reply(reasoningReply(["The user wants", " an overview."], ["## Overview", "\nAn API."], { field }));
      const events = await collect(analyze());
      expect(events).toEqual([
        { type: "thought", text: "The user wants" },
        { type: "thought", text: " an overview." },
        { type: "delta", text: "## Overview" },
        { type: "delta", text: "\nAn API." },
        { type: "done", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
      ]);
    });

    it("prefers reasoning_content when a server sends both fields, so a thought is not shown twice", async () => {
      bench.fake.reply(
        streamReply([
          deltaChunk({ role: "assistant", reasoning_content: "Once.", reasoning: "Once." } as never),
          deltaChunk({ content: "Answer." }, "stop"),
        ]),
      );
      expect(await collect(analyze())).toEqual([
        { type: "thought", text: "Once." },
        { type: "delta", text: "Answer." },
        { type: "done", finishReason: "stop" },
      ]);
    });

    it("ignores empty and null reasoning, as servers send beside the answer's content", async () => {
      bench.fake.reply(
        streamReply([
          deltaChunk({ role: "assistant", content: "An", reasoning_content: null } as never),
          deltaChunk({ content: " API.", reasoning_content: "" } as never),
          reasoningChunk("", "reasoning"),
          deltaChunk({}, "stop"),
        ]),
      );
      expect(await collect(analyze())).toEqual([
        { type: "delta", text: "An" },
        { type: "delta", text: " API." },
        { type: "done", finishReason: "stop" },
      ]);
    });
  });

  it("ends the answer at [DONE] without the usage chunk when the server sends none", async () => {
    bench.fake.reply(textReply(["Short answer."], { usage: null }));
    const events = await collect(analyze());
    expect(events).toEqual([
      { type: "delta", text: "Short answer." },
      { type: "done", finishReason: "stop" },
    ]);
  });

  // The SDK reads on after [DONE] until the server closes the connection. A server or proxy that
  // keeps a finished stream open must not leave a complete answer waiting: the signal below only
  // bounds the wait, so a provider stuck after [DONE] ends without `done` and fails the assertion.
  it.each([
    { name: "with the usage chunk", usage: undefined, done: { type: "done", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } } },
    { name: "without usage", usage: null, done: { type: "done", finishReason: "stop" } },
  ])("finishes at [DONE] $name even when the server keeps the connection open after it", async ({ usage, done }) => {
    bench.fake.reply(textReply(["Short answer."], { usage, keepOpenAfterEnd: true }));
    const events = await collect(analyze({}, { prompt: "Explain", signal: AbortSignal.timeout(2_000) }));
    expect(events).toEqual([{ type: "delta", text: "Short answer." }, done]);
  });

  it('reports finish_reason "length" as "length"', async () => {
    bench.fake.reply(textReply(["A long answer"], { finishReason: "length" }));
    const events = await collect(analyze());
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "length" });
  });

  it("works without an API key, as local servers (Ollama, vLLM, LM Studio) need none", async () => {
    const events = await collect(analyze({ apiKey: undefined }));
    expect(events[0]).toEqual({ type: "delta", text: DEFAULT_ANSWER });
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    expect(bench.fake.requestsFor("openai")).toHaveLength(1);
  });

  it.each([401, 403])("maps HTTP %i to provider_auth 502 without repeating the key", async (status) => {
    bench.fake.reply(errorReply(status, "Incorrect API key provided: sk-wrong.", { type: "invalid_request_error", code: "invalid_api_key" }));
    const { error, started } = await failure(analyze({ apiKey: "sk-wrong" }));
    expect(error).toMatchObject({ code: "provider_auth", status: 502 });
    // An HTTP error: analyze() rejects, so the route answers with this status.
    expect(started).toBe(false);
    expect(error.message).toContain("API key");
    expect(error.message).not.toContain("sk-wrong");
  });

  it("maps a 404 to model_not_found 502 naming the model and the server", async () => {
    bench.fake.reply(ollamaErrorReply(404, 'model "llava:34b" not found, try pulling it first'));
    const { error } = await failure(analyze({ model: "llava:34b" }));
    expect(error).toMatchObject({ code: "model_not_found", status: 502 });
    expect(error.message).toContain("llava:34b");
    expect(error.message).toContain(bench.fake.openaiBaseUrl);
  });

  it("maps a 429 to provider_quota 503 with the wait from Retry-After", async () => {
    bench.fake.reply(errorReply(429, "Rate limit reached.", { type: "requests", code: "rate_limit_exceeded", headers: { "Retry-After": "7" } }));
    const { error } = await failure(analyze({ maxRetries: 0 }));
    expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 7 });
    expect(error.message).toContain("7 s");
    expect(bench.fake.requestsFor("openai")).toHaveLength(1);
  });

  // Same policy as Gemini (lib/providers/gemini.ts, RETRYABLE_STATUSES) and MODEL_MAX_RETRIES'
  // documentation: retries are for 5xx and 408; a 429 is reported with its wait at once.
  it("does not retry a 429, even with retries allowed", async () => {
    bench.fake.reply(errorReply(429, "Rate limit reached.", { type: "requests", code: "rate_limit_exceeded", headers: { "Retry-After": "1" } }));
    const { error } = await failure(analyze({ maxRetries: 2 }));
    expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 1 });
    expect(bench.fake.requestsFor("openai")).toHaveLength(1);
  });

  it.each([500, 503])("maps HTTP %i with no retries left to provider_unavailable 503", async (status) => {
    bench.fake.reply(errorReply(status, "The server had an error while processing your request.", { type: "server_error" }));
    const { error } = await failure(analyze({ maxRetries: 0 }));
    expect(error).toMatchObject({ code: "provider_unavailable", status: 503 });
    expect(error.message).toContain(`HTTP ${status}`);
    expect(bench.fake.requestsFor("openai")).toHaveLength(1);
  });

  it("retries a 503 and streams the answer when the second attempt succeeds", async () => {
    bench.fake.reply(errorReply(503, "Overloaded", { type: "server_error" }), textReply(["Recovered."]));
    const events = await collect(analyze({ maxRetries: 1 }));
    expect(events[0]).toEqual({ type: "delta", text: "Recovered." });
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    expect(bench.fake.requestsFor("openai")).toHaveLength(2);
  });

  it.each([
    { server: "Ollama", reply: ollamaErrorReply(400, "llama3 does not support images") },
    {
      server: "vLLM",
      reply: errorReply(400, "meta-llama/Llama-3.1-8B-Instruct is not a multimodal model", { type: "BadRequestError", code: "400" }),
    },
    {
      // llama.cpp's server answers a model loaded without its mmproj with a 500.
      server: "llama.cpp",
      reply: errorReply(500, "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj", {
        type: "server_error",
      }),
    },
    { server: "OpenAI", reply: errorReply(400, "Invalid content type. image_url is only supported by certain models.") },
  ])("maps $server's answer for a text-only model to image_not_supported 502", async ({ reply }) => {
    bench.fake.reply(reply);
    const { error } = await failure(analyze({ model: "llama3" }));
    expect(error).toMatchObject({ code: "image_not_supported", status: 502 });
    expect(error.message).toContain("llama3");
    expect(error.message).toContain(bench.fake.openaiBaseUrl);
  });

  it.each([
    "Image too large: 4032x3024 exceeds the maximum of 2048x2048 pixels.",
    "Invalid image: the image data is not a valid PNG or JPEG.",
  ])("maps a 400 about the image itself (%s) to provider_rejected, not image_not_supported", async (message) => {
    bench.fake.reply(errorReply(400, message, { code: "invalid_image" }));
    const { error } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
    expect(error.message).toContain(message);
  });

  it("maps another 400 to provider_rejected 502 quoting the server", async () => {
    bench.fake.reply(errorReply(400, "max_tokens is too large: 999999.", { code: "invalid_value" }));
    const { error } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
    expect(error.message).toContain("HTTP 400");
    expect(error.message).toContain("max_tokens is too large: 999999.");
  });

  it("maps a refused connection to provider_unreachable 502 naming the URL", async () => {
    const url = `${await closedPortUrl()}/v1`;
    const { error, events, started } = await failure(analyze({ baseUrl: url }));
    expect(events).toEqual([]);
    expect(started).toBe(false);
    expect(error).toMatchObject({ code: "provider_unreachable", status: 502 });
    expect(error.message).toContain(`Cannot reach the model server at ${url}`);
  });

  it("yields the text sent before a content_filter stop, then fails with content_blocked", async () => {
    bench.fake.reply(textReply(["The diagram shows", " a"], { finishReason: "content_filter" }));
    const { error, events } = await failure(analyze());
    expect(events).toEqual([
      { type: "delta", text: "The diagram shows" },
      { type: "delta", text: " a" },
    ]);
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
  });

  it("keeps the text already yielded and fails with provider_error when the server drops the connection", async () => {
    bench.fake.reply(streamReply([deltaChunk({ role: "assistant", content: "Partial" }), deltaChunk({ content: " answer" })], { dropAfter: true, delayMs: 20 }));
    const { error, events } = await failure(analyze());
    expect(events).toEqual([
      { type: "delta", text: "Partial" },
      { type: "delta", text: " answer" },
    ]);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("broke off");
  });

  it("ends quietly when aborted mid-answer, and closes the connection to the server", async () => {
    bench.fake.reply(streamReply([deltaChunk({ role: "assistant", content: "First words" })], { hangAfter: true }));
    const controller = new AbortController();
    const events: ProviderEvent[] = [];
    let disconnected: Promise<void> | undefined;
    for await (const event of await analyze({}, { prompt: "Explain", signal: controller.signal })) {
      events.push(event);
      disconnected ??= bench.fake.nextClientDisconnect();
      controller.abort();
    }
    await disconnected;
    // Nothing after the abort: in particular no "done", which would claim a complete answer.
    expect(events).toEqual([{ type: "delta", text: "First words" }]);
  });
  it("turns an error event inside the stream into provider_error quoting the server, after the text already yielded", async () => {
    // vLLM and LiteLLM report a failure that happens mid-generation as a `data: {"error":…}` event.
    bench.fake.reply(
      streamReply([
        deltaChunk({ role: "assistant", content: "The gateway" }),
        { error: { object: "error", message: "CUDA out of memory while decoding", type: "InternalServerError", param: null, code: 500 } },
      ]),
    );
    const { error, events } = await failure(analyze());
    expect(events).toEqual([{ type: "delta", text: "The gateway" }]);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toBe("The model server reported an error: “CUDA out of memory while decoding”");
  });

  it("turns an error event before any text into provider_error quoting the server", async () => {
    bench.fake.reply(streamReply([{ error: { message: "The engine is shutting down.", type: "server_error", param: null, code: null } }]));
    const { error, events, started } = await failure(analyze());
    expect(events).toEqual([]);
    // After HTTP 200: the route has sent meta, so this is an error event in the stream.
    expect(started).toBe(true);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("“The engine is shutting down.”");
  });

  it("still recognises a text-only model when the server says so in an error event", async () => {
    bench.fake.reply(streamReply([{ error: { message: "llama3 does not support images", type: "invalid_request_error", param: null, code: null } }]));
    const { error } = await failure(analyze({ model: "llama3" }));
    expect(error).toMatchObject({ code: "image_not_supported", status: 502 });
  });

  describe("with a base URL that carries a query string", () => {
    const QUERY = "?api-version=2024-06-01&sig=query-secret";

    it("names the server without the query when it cannot be reached", async () => {
      const url = `${await closedPortUrl()}/v1`;
      const { error } = await failure(analyze({ baseUrl: `${url}${QUERY}` }));
      expect(error).toMatchObject({ code: "provider_unreachable", status: 502 });
      expect(error.message).toContain(`Cannot reach the model server at ${url}.`);
      expect(error.message).not.toContain("query-secret");
      expect(error.message).not.toContain("?");
    });

    it("names the server without the query when the model is not found", async () => {
      // Today the SDK appends /chat/completions after the query (see tests/config.test.ts), so
      // the fake's own 404 for an unknown route answers; the scripted one stands for a real 404.
      bench.fake.reply(ollamaErrorReply(404, 'model "llava:34b" not found, try pulling it first'));
      const { error } = await failure(analyze({ baseUrl: `${bench.fake.openaiBaseUrl}${QUERY}`, model: "llava:34b" }));
      expect(error).toMatchObject({ code: "model_not_found", status: 502 });
      expect(error.message).toContain(`on the server at ${bench.fake.openaiBaseUrl}.`);
      expect(error.message).not.toContain("query-secret");
    });
  });
  it("redacts its key and any bearer token from an error body that echoes the request headers", async () => {
    const apiKey = "sk-fake-openai-key-0123456789";
    bench.fake.reply(
      errorReply(400, `Gateway could not route request. Headers: {"authorization":"Bearer ${apiKey}","x-api-key":"other-token-77"}`),
    );
    const { error } = await failure(analyze({ apiKey }));
    expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
    expect(error.message).toContain("Gateway could not route request");
    expect(error.message).not.toContain(apiKey);
    expect(error.message).not.toContain("other-token-77");
  });

  it("redacts a key the server quotes in an error it sends inside the stream", async () => {
    const apiKey = "local-gateway-key-4242";
    bench.fake.reply(streamReply([deltaChunk({ role: "assistant", content: "Hi" }), { error: { message: `upstream refused key ${apiKey}` } }]));
    const { error, events } = await failure(analyze({ apiKey }));
    expect(events).toEqual([{ type: "delta", text: "Hi" }]);
    expect(error.message).not.toContain(apiKey);
  });

  it('reports a stream that reaches [DONE] without a finish reason as "incomplete", keeping the text', async () => {
    bench.fake.reply(streamReply([deltaChunk({ role: "assistant", content: "## Overview" }), deltaChunk({ content: " The gateway" })]));
    const events = await collect(analyze());
    expect(events).toEqual([
      { type: "delta", text: "## Overview" },
      { type: "delta", text: " The gateway" },
      { type: "done", finishReason: "incomplete" },
    ]);
  });

  it("tells onProviderFinish the server's own finish reason, for the log", async () => {
    bench.fake.reply(textReply(["Done."], { finishReason: "stop" }));
    const reasons: string[] = [];
    await collect(analyze({}, { onProviderFinish: (reason) => reasons.push(reason) }));
    expect(reasons).toEqual(["stop"]);
  });
});
