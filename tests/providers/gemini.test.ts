import { describe, expect, it } from "vitest";
import { createGeminiProvider, hasThinkingLevels } from "@/lib/providers/gemini";
import { SYSTEM_INSTRUCTION } from "@/lib/providers/system-instruction";
import { THINKING_DEPTHS, type ThinkingDepth } from "@/lib/shared/thinking";
import type { AnalysisInput, ProviderEvent } from "@/lib/providers/types";
import { candidateChunk, errorReply, streamReply, textReply, thinkingReply, thoughtPart } from "@/tests/helpers/fake-gemini";
import { closedPortUrl } from "@/tests/helpers/fake-model-server";
import { analysisInput, collect, failure, setUpProviderBench } from "@/tests/helpers/provider-run";

const bench = setUpProviderBench();

interface Options {
  maxRetries?: number;
  baseUrl?: string;
  model?: string;
  /** GEMINI_THINKING_LEVEL. */
  thinkingLevel?: ThinkingDepth;
  /** GEMINI_MEDIA_RESOLUTION. */
  mediaResolution?: "low" | "medium" | "high";
}

function provider({ maxRetries = 0, baseUrl = bench.fake.url, model = "gemini-3-test", thinkingLevel, mediaResolution }: Options = {}) {
  return createGeminiProvider({ apiKey: "test-key", model, baseUrl, thinkingLevel, mediaResolution }, { maxRetries });
}

/** One answer from a fresh provider, as the route asks for a first question unless `input` says otherwise. */
function analyze(options: Options = {}, input: Partial<Omit<AnalysisInput, "image">> = {}) {
  return provider(options).analyze(analysisInput(bench, input));
}

/** The one request the fake received. */
function onlyRequest() {
  const requests = bench.fake.requestsFor("gemini");
  expect(requests).toHaveLength(1);
  return requests[0]!;
}

describe("Gemini provider against a fake Gemini server", () => {
  it("sends the image, the task and the system instruction, and streams the text back", async () => {
    bench.fake.reply(textReply(["## Overview", "\nAn API."]));
    const events = await collect(analyze());
    expect(events).toEqual([
      { type: "delta", text: "## Overview" },
      { type: "delta", text: "\nAn API." },
      { type: "done", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } },
    ]);
    const [request] = bench.fake.requestsFor("gemini");
    expect(request?.model).toBe("gemini-3-test");
    expect(request?.apiKey).toBe("test-key");
    const parts = request?.body.contents[0]?.parts ?? [];
    expect(parts[0]?.inlineData).toEqual({ mimeType: bench.image.mimeType, data: bench.image.data.toString("base64") });
    expect(parts[1]?.text).toBe("Explain this architecture");
    expect(request?.body.systemInstruction?.parts[0]?.text).toBe(SYSTEM_INSTRUCTION);
    expect(request?.body.generationConfig ?? {}).not.toHaveProperty("temperature");
    // A first question is one user turn.
    expect(request?.body.contents).toEqual([{ role: "user", parts: [parts[0], parts[1]] }]);
  });

  it("offers every thinking depth, and the configured level as its default", () => {
    expect(provider().depths).toEqual(THINKING_DEPTHS);
    expect(provider().defaultDepth).toBeUndefined();
    expect(provider({ thinkingLevel: "medium" }).defaultDepth).toBe("medium");
  });

  describe("a follow-up question", () => {
    const history = [
      { task: "What does the API Gateway do?", answer: "## API Gateway\nIt routes requests to the function." },
      { task: "And the queue?", answer: "It buffers orders." },
    ];

    it("sends the conversation as alternating turns, the image only with the first question", async () => {
      await collect(analyze({}, { prompt: "What does it connect to?", history }));
      const { contents } = onlyRequest().body;
      expect(contents).toEqual([
        {
          role: "user",
          parts: [{ inlineData: { mimeType: bench.image.mimeType, data: bench.image.data.toString("base64") } }, { text: history[0]!.task }],
        },
        { role: "model", parts: [{ text: history[0]!.answer }] },
        { role: "user", parts: [{ text: history[1]!.task }] },
        { role: "model", parts: [{ text: history[1]!.answer }] },
        { role: "user", parts: [{ text: "What does it connect to?" }] },
      ]);
      expect(contents.flatMap((content) => content.parts).filter((part) => part.inlineData)).toHaveLength(1);
    });

    it("streams the follow-up's answer like any other", async () => {
      bench.fake.reply(textReply(["It connects to the queue."]));
      const events = await collect(analyze({}, { prompt: "What does it connect to?", history: history.slice(0, 1) }));
      expect(events[0]).toEqual({ type: "delta", text: "It connects to the queue." });
      expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    });
  });

  describe("thinking", () => {
    const thinkingConfig = () => onlyRequest().body.generationConfig?.thinkingConfig;

    it("always asks for thought summaries, leaving the level to the model when nothing sets one", async () => {
      await collect(analyze());
      expect(thinkingConfig()).toEqual({ includeThoughts: true });
    });

    it.each([
      ["minimal", "MINIMAL"],
      ["low", "LOW"],
      ["medium", "MEDIUM"],
      ["high", "HIGH"],
    ] as const)("sends the request's depth %s as thinkingLevel %s", async (depth, level) => {
      await collect(analyze({}, { depth }));
      expect(thinkingConfig()).toEqual({ includeThoughts: true, thinkingLevel: level });
    });

    it("sends GEMINI_MEDIA_RESOLUTION as the request's mediaResolution, and none when unset", async () => {
      await collect(analyze({ mediaResolution: "low" }));
      expect((onlyRequest().body as { generationConfig?: { mediaResolution?: string } }).generationConfig?.mediaResolution).toBe("MEDIA_RESOLUTION_LOW");
      bench.fake.reset();
      await collect(analyze());
      expect((onlyRequest().body as { generationConfig?: Record<string, unknown> }).generationConfig).not.toHaveProperty("mediaResolution");
    });

    it("uses GEMINI_THINKING_LEVEL when the request names no depth", async () => {
      await collect(analyze({ thinkingLevel: "low" }));
      expect(thinkingConfig()).toEqual({ includeThoughts: true, thinkingLevel: "LOW" });
    });

    it("lets the request's depth win over GEMINI_THINKING_LEVEL", async () => {
      await collect(analyze({ thinkingLevel: "low" }, { depth: "high" }));
      expect(thinkingConfig()).toEqual({ includeThoughts: true, thinkingLevel: "HIGH" });
    });

    it("offers no depth for Gemini 2.5 models and sends them no level, whatever asks for one", async () => {
      const older = provider({ model: "gemini-2.5-flash", thinkingLevel: "low" });
      expect(older.depths).toEqual([]);
      expect(older.defaultDepth).toBeUndefined();
      await collect(analyze({ model: "gemini-2.5-flash", thinkingLevel: "low" }, { depth: "high" }));
      expect(thinkingConfig()).toEqual({ includeThoughts: true });
    });

    it.each([
      ["gemini-3.6-flash", true],
      ["gemini-3-pro-preview", true],
      ["gemini-4.0-ultra", true],
      ["gemini-2.5-pro", false],
      ["gemini-flash-latest", false],
    ])("knows whether %s takes thinking levels (%s)", (model, expected) => {
      expect(hasThinkingLevels(model)).toBe(expected);
    });

    it("yields thought summaries as thought events, in order, and never as part of the answer", async () => {
      bench.fake.reply(
        streamReply([
          candidateChunk([thoughtPart("**Thinking about** the gateway…")]),
          candidateChunk([thoughtPart("more thoughts"), { text: "## Overview" }]),
          candidateChunk([{ text: " done." }], "STOP"),
        ]),
      );
      const events = await collect(analyze());
      expect(events).toEqual([
        { type: "thought", text: "**Thinking about** the gateway…" },
        { type: "thought", text: "more thoughts" },
        { type: "delta", text: "## Overview" },
        { type: "delta", text: " done." },
        { type: "done", finishReason: "stop" },
      ]);
    });

    it("streams the thoughts before an answer that follows them, with usage at the end", async () => {
      bench.fake.reply(thinkingReply(["Reading the labels.", "Following the arrows."], ["An API", " and a queue."]));
      const events = await collect(analyze({}, { depth: "high" }));
      expect(events.map((event) => event.type)).toEqual(["thought", "thought", "delta", "delta", "done"]);
      expect(events.at(-1)).toEqual({ type: "done", finishReason: "stop", usage: { inputTokens: 1290, outputTokens: 42, totalTokens: 1332 } });
    });
  });

  it("maps a quota error to 503 with the retry time the API gave", async () => {
    bench.fake.reply(
      errorReply(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED", [
        { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" },
      ]),
    );
    const { error, started } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 37 });
    // An HTTP error: analyze() rejects, so the route answers with this status.
    expect(started).toBe(false);
    expect(error.message).toContain("37 s");
  });

  it("does not retry a 429, even with retries allowed", async () => {
    bench.fake.reply(errorReply(429, "Resource has been exhausted", "RESOURCE_EXHAUSTED"));
    const { error } = await failure(analyze({ maxRetries: 2 }));
    expect(error).toMatchObject({ code: "provider_quota", status: 503 });
    expect(error.retryAfterSeconds).toBeUndefined();
    expect(bench.fake.requests).toHaveLength(1);
  });

  it("maps a 400 with ErrorInfo reason API_KEY_INVALID to provider_auth 502", async () => {
    bench.fake.reply(
      errorReply(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT", [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" },
      ]),
    );
    const { error } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_auth", status: 502 });
    expect(error.message).toContain("API key");
    expect(error.message).not.toContain("test-key");
  });

  it.each([
    [401, "UNAUTHENTICATED"],
    [403, "PERMISSION_DENIED"],
  ])("maps HTTP %i to provider_auth 502", async (status, statusName) => {
    bench.fake.reply(errorReply(status, "The caller does not have permission", statusName));
    const { error, started } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_auth", status: 502 });
    expect(started).toBe(false);
  });

  it("maps a 404 to model_not_found 502 naming the model and the server", async () => {
    bench.fake.reply(errorReply(404, "models/gemini-9-ultra is not found for API version v1beta", "NOT_FOUND"));
    const { error } = await failure(analyze({ model: "gemini-9-ultra" }));
    expect(error).toMatchObject({ code: "model_not_found", status: 502 });
    expect(error.message).toContain("gemini-9-ultra");
    expect(error.message).toContain(bench.fake.url);
  });

  it("maps another 400 to provider_rejected 502 quoting Gemini's explanation", async () => {
    bench.fake.reply(errorReply(400, "Request contains an invalid argument.", "INVALID_ARGUMENT"));
    const { error } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
    expect(error.message).toContain("HTTP 400");
    expect(error.message).toContain("Request contains an invalid argument.");
  });

  it("retries a 500 and streams the answer when the second attempt succeeds", async () => {
    bench.fake.reply(errorReply(500, "Internal error encountered.", "INTERNAL"), textReply(["Recovered."]));
    const events = await collect(analyze({ maxRetries: 1 }));
    expect(events[0]).toEqual({ type: "delta", text: "Recovered." });
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "stop" });
    expect(bench.fake.requests).toHaveLength(2);
  });

  it("maps a 503 with no retries left to provider_unavailable 503", async () => {
    bench.fake.reply(errorReply(503, "The model is overloaded. Please try again later.", "UNAVAILABLE"));
    const { error } = await failure(analyze({ maxRetries: 0 }));
    expect(error).toMatchObject({ code: "provider_unavailable", status: 503 });
    expect(error.message).toContain("HTTP 503");
    expect(bench.fake.requests).toHaveLength(1);
  });

  it("maps a 504 to provider_timeout 504", async () => {
    bench.fake.reply(errorReply(504, "Deadline exceeded.", "DEADLINE_EXCEEDED"));
    const { error } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_timeout", status: 504 });
  });

  it("maps promptFeedback.blockReason to content_blocked 422, inside the answer Gemini accepted", async () => {
    bench.fake.reply(streamReply([{ promptFeedback: { blockReason: "PROHIBITED_CONTENT" } }]));
    const { error, events, started } = await failure(analyze());
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
    expect(error.message).toContain("PROHIBITED_CONTENT");
    expect(events).toEqual([]);
    // The block comes in the 200 stream: the route has sent meta by then.
    expect(started).toBe(true);
  });

  it("yields the text sent before a SAFETY stop, then fails with content_blocked", async () => {
    bench.fake.reply(textReply(["The diagram shows", " a"], { finishReason: "SAFETY" }));
    const { error, events } = await failure(analyze());
    expect(events).toEqual([
      { type: "delta", text: "The diagram shows" },
      { type: "delta", text: " a" },
    ]);
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
    expect(error.message).toContain("SAFETY");
  });

  it('reports MAX_TOKENS as finishReason "length"', async () => {
    bench.fake.reply(textReply(["A long answer"], { finishReason: "MAX_TOKENS" }));
    const events = await collect(analyze());
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "length" });
  });

  it('reports an unfamiliar finish reason as "other"', async () => {
    bench.fake.reply(textReply(["Answer"], { finishReason: "FINISH_REASON_FROM_THE_FUTURE" }));
    const events = await collect(analyze());
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "other" });
  });

  it("maps a refused connection to provider_unreachable 502 naming the URL", async () => {
    const url = await closedPortUrl();
    const { error, started } = await failure(analyze({ baseUrl: url }));
    expect(error).toMatchObject({ code: "provider_unreachable", status: 502 });
    expect(error.message).toContain(url);
    expect(started).toBe(false);
  });

  it("ends quietly when aborted mid-answer, and closes the connection to Gemini", async () => {
    bench.fake.reply(streamReply([candidateChunk([{ text: "First words" }])], { hangAfter: true }));
    const controller = new AbortController();
    const events: ProviderEvent[] = [];
    let disconnected: Promise<void> | undefined;
    for await (const event of await analyze({}, { prompt: "Explain", signal: controller.signal })) {
      events.push(event);
      disconnected = bench.fake.nextClientDisconnect();
      controller.abort();
    }
    expect(events).toEqual([{ type: "delta", text: "First words" }]);
    await disconnected;
  });

  it("fails with a server-side error, after the text already yielded, when Gemini drops the connection mid-answer", async () => {
    bench.fake.reply(streamReply([candidateChunk([{ text: "Partial" }])], { dropAfter: true, delayMs: 20 }));
    const { error, events } = await failure(analyze());
    expect(events).toEqual([{ type: "delta", text: "Partial" }]);
    expect(error.status).toBeGreaterThanOrEqual(500);
    expect(error.code).not.toBe("internal_error");
  });

  describe("errors Gemini sends inside the stream, after HTTP 200", () => {
    const streamError = (code: number, message: string, status: string, details: object[]) =>
      streamReply([{ error: { code, message, status, details } }]);

    it("keeps the retry time of a quota error", async () => {
      bench.fake.reply(
        streamError(429, "Resource has been exhausted (e.g. check quota).", "RESOURCE_EXHAUSTED", [
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "21s" },
        ]),
      );
      const { error, events, started } = await failure(analyze());
      expect(events).toEqual([]);
      expect(started).toBe(true);
      expect(error).toMatchObject({ code: "provider_quota", status: 503, retryAfterSeconds: 21 });
      expect(error.message).toContain("Try again in 21 s.");
    });

    it("keeps the retry time when the quota runs out after some text", async () => {
      bench.fake.reply(
        streamReply([
          candidateChunk([{ text: "The gateway" }]),
          {
            error: {
              code: 429,
              message: "Resource has been exhausted.",
              status: "RESOURCE_EXHAUSTED",
              details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "3.5s" }],
            },
          },
        ]),
      );
      const { error, events } = await failure(analyze());
      expect(events).toEqual([{ type: "delta", text: "The gateway" }]);
      expect(error).toMatchObject({ code: "provider_quota", retryAfterSeconds: 3.5 });
    });

    it("recognises API_KEY_INVALID", async () => {
      bench.fake.reply(
        streamError(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT", [
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "googleapis.com" },
        ]),
      );
      const { error } = await failure(analyze());
      expect(error).toMatchObject({ code: "provider_auth", status: 502 });
    });

    it("quotes Gemini's explanation of another error, not the SDK's wrapping", async () => {
      bench.fake.reply(streamError(400, "Request contains an invalid argument.", "INVALID_ARGUMENT", []));
      const { error } = await failure(analyze());
      expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
      expect(error.message).toContain("It said: “Request contains an invalid argument.”");
      expect(error.message).not.toContain("got status");
    });
  });

  it("names the server without the query string of its base URL", async () => {
    const url = await closedPortUrl();
    const { error } = await failure(analyze({ baseUrl: `${url}/?key=query-secret` }));
    expect(error).toMatchObject({ code: "provider_unreachable", status: 502 });
    expect(error.message).toContain(`Cannot reach Gemini at ${url}.`);
    expect(error.message).not.toContain("query-secret");
    expect(error.message).not.toContain("?");
  });
  it("redacts its key from an error body that echoes the request, as some gateways do", async () => {
    bench.fake.reply(
      errorReply(400, "Request rejected by gateway. Echo: x-goog-api-key: test-key; GET /v1beta/models?key=test-key&alt=sse", "INVALID_ARGUMENT"),
    );
    const { error } = await failure(analyze());
    expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
    expect(error.message).toContain("Request rejected by gateway");
    expect(error.message).not.toContain("test-key");
    expect(error.message).toContain("[redacted]");
  });

  it('reports a stream that ends without a finish reason as "incomplete", keeping the text', async () => {
    bench.fake.reply(streamReply([candidateChunk([{ text: "## Overview" }]), candidateChunk([{ text: " The gateway" }])]));
    const events = await collect(analyze());
    expect(events).toEqual([
      { type: "delta", text: "## Overview" },
      { type: "delta", text: " The gateway" },
      { type: "done", finishReason: "incomplete" },
    ]);
  });

  it("tells onProviderFinish Gemini's own finish reason, for the log", async () => {
    bench.fake.reply(textReply(["A long answer"], { finishReason: "MAX_TOKENS" }));
    const reasons: string[] = [];
    const events = await collect(analyze({}, { onProviderFinish: (reason) => reasons.push(reason) }));
    expect(events.at(-1)).toMatchObject({ type: "done", finishReason: "length" });
    expect(reasons).toEqual(["MAX_TOKENS"]);
  });
});
