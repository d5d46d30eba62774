import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import * as gemini from "@/tests/helpers/fake-gemini";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import * as openai from "@/tests/helpers/fake-openai";

/**
 * The fake's own wire format and control API, read with plain fetch: the provider tests trust it to
 * look like the real servers, and the e2e specs drive it from another process.
 */

let fake: FakeModelServer;

beforeAll(async () => {
  fake = await startFakeModelServer();
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const IMAGE_BASE64 = Buffer.from("not really a png").toString("base64");

function postOpenAI(body: object, headers: Record<string, string> = {}) {
  return fetch(`${fake.openaiBaseUrl}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

const openAIBody = (extra: object = {}) => ({
  model: "vision",
  stream: true,
  messages: [
    { role: "system", content: "Be brief." },
    {
      role: "user",
      content: [
        { type: "image_url", image_url: { url: `data:image/png;base64,${IMAGE_BASE64}` } },
        { type: "text", text: "Explain" },
      ],
    },
  ],
  ...extra,
});

function postGemini(body: object, signal?: AbortSignal) {
  return fetch(`${fake.url}/v1beta/models/gemini-x:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "x-goog-api-key": "g-key" },
    body: JSON.stringify(body),
    signal,
  });
}

const control = (path: "reply" | "release" | "reset", body: object = {}) =>
  fetch(`${fake.url}/__control/${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const recorded = async () => (await fetch(`${fake.url}/__control/requests`)).json() as Promise<unknown[]>;

describe("fake model server", () => {
  it("frames OpenAI chunks as `data: {json}\\n\\n` and ends with [DONE], sending usage only when asked", async () => {
    fake.reply(openai.textReply(["Hi"]));
    const withoutUsage = await (await postOpenAI(openAIBody())).text();
    const events = withoutUsage.split("\n\n").filter(Boolean);
    expect(events.map((event) => event.startsWith("data: "))).toEqual([true, true, true]);
    expect(events.at(-1)).toBe("data: [DONE]");
    expect(JSON.parse(events[0]!.slice(6))).toMatchObject({ object: "chat.completion.chunk", choices: [{ delta: { role: "assistant", content: "Hi" } }] });
    expect(JSON.parse(events[1]!.slice(6))).toMatchObject({ choices: [{ delta: {}, finish_reason: "stop" }] });

    const withUsage = await (await postOpenAI(openAIBody({ stream_options: { include_usage: true } }))).text();
    const usage = JSON.parse(withUsage.split("\n\n").at(-3)!.slice(6)) as object;
    expect(usage).toMatchObject({ choices: [], usage: openai.DEFAULT_USAGE });
  });

  it("frames Gemini chunks as `data: {json}\\r\\n\\r\\n` and reads the key from x-goog-api-key", async () => {
    fake.reply(gemini.textReply(["Hi"]));
    const response = await fetch(`${fake.url}/v1beta/models/gemini-x:streamGenerateContent?alt=sse`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "x-goog-api-key": "g-key" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "Explain" }] }] }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const text = await response.text();
    expect(text.split("\r\n\r\n").filter(Boolean)).toHaveLength(2);
    expect(fake.requests).toEqual([expect.objectContaining({ protocol: "gemini", model: "gemini-x", apiKey: "g-key" })]);
  });

  it("sends an error reply's status, JSON body and headers", async () => {
    fake.reply(openai.errorReply(429, "Slow down", { code: "rate_limit_exceeded", headers: { "Retry-After": "7" } }));
    const response = await postOpenAI(openAIBody(), { Authorization: "Bearer sk-1" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.json()).toEqual({ error: { message: "Slow down", type: "invalid_request_error", param: null, code: "rate_limit_exceeded" } });
    expect(fake.requestsFor("openai")[0]?.apiKey).toBe("sk-1");
  });

  it("keeps each protocol's replies apart, using them in order and keeping the last", async () => {
    fake.reply(openai.ollamaErrorReply(500, "first"), gemini.textReply(["Gemini"]), openai.textReply(["second"]));
    expect((await postOpenAI(openAIBody())).status).toBe(500);
    expect(await (await postOpenAI(openAIBody())).text()).toContain('"content":"second"');
    expect(await (await postOpenAI(openAIBody())).text()).toContain('"content":"second"');
  });

  it("holds a stream after N events until released through the control API", async () => {
    expect((await control("reply", { replies: [openai.textReply(["one", "two"], { holdAfter: 1 })] })).status).toBe(204);
    const response = await postOpenAI(openAIBody());
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = "";
    while (!received.includes("\n\n")) received += (await reader.read()).value ?? "";
    expect(received).toContain('"content":"one"');
    expect(received).not.toContain('"content":"two"');
    expect((await control("release")).status).toBe(204);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received += chunk.value;
    expect(received).toContain('"content":"two"');
    expect(received.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("can send a whole stream, [DONE] included, and keep the connection open after it", async () => {
    fake.reply(openai.textReply(["Hi"], { keepOpenAfterEnd: true }));
    const response = await postOpenAI(openAIBody());
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = "";
    while (!received.endsWith("data: [DONE]\n\n")) received += (await reader.read()).value ?? "";
    expect(received).toContain('"content":"Hi"');
    // The response was never ended: the fake counts our leaving as a client disconnect.
    const disconnected = fake.nextClientDisconnect();
    await reader.cancel();
    await disconnected;
    // Other processes read the count.
    expect(await (await fetch(`${fake.url}/__control/disconnects`)).json()).toEqual({ count: 1 });
    fake.reset();
    expect(fake.clientDisconnects).toBe(0);
  });

  it("summarises the requests for other processes, image data replaced by its length", async () => {
    await postOpenAI(openAIBody(), { Authorization: "Bearer sk-1" });
    expect(await recorded()).toEqual([
      {
        protocol: "openai",
        model: "vision",
        apiKey: "sk-1",
        prompt: "Explain",
        userTurns: 1,
        systemInstruction: "Be brief.",
        image: { mimeType: "image/png", base64Length: IMAGE_BASE64.length },
        turns: [{ role: "user", text: "Explain" }],
        imageCount: 1,
      },
    ]);
    expect((await control("reset")).status).toBe(204);
    expect(await recorded()).toEqual([]);
  });

  it("summarises a follow-up by its latest question, its number of user turns and of images", async () => {
    const first = openAIBody().messages;
    await postOpenAI({
      ...openAIBody(),
      messages: [...first, { role: "assistant", content: "An API." }, { role: "user", content: "And the queue?" }],
    });
    await postGemini({
      contents: [
        { role: "user", parts: [{ inlineData: { mimeType: "image/jpeg", data: IMAGE_BASE64 } }, { text: "Explain" }] },
        { role: "model", parts: [{ text: "An API." }] },
        { role: "user", parts: [{ text: "What does it connect to?" }] },
      ],
    });
    expect(await recorded()).toEqual([
      expect.objectContaining({ protocol: "openai", prompt: "And the queue?", userTurns: 2, imageCount: 1, image: { mimeType: "image/png", base64Length: IMAGE_BASE64.length } }),
      expect.objectContaining({ protocol: "gemini", prompt: "What does it connect to?", userTurns: 2, imageCount: 1, image: { mimeType: "image/jpeg", base64Length: IMAGE_BASE64.length } }),
    ]);
  });

  // The route's `meta` goes out once the SDK has the response headers; a test that holds the
  // model before its first token relies on the headers arriving anyway.
  it.each([
    ["Gemini", () => gemini.textReply(["Hi"], { holdAfter: 0 }), () => postGemini({ contents: [{ role: "user", parts: [{ text: "Explain" }] }] })],
    ["OpenAI", () => openai.textReply(["Hi"], { holdAfter: 0 }), () => postOpenAI(openAIBody())],
  ])("sends a %s stream's headers at once when it holds before the first event", async (_name, reply, post) => {
    fake.reply(reply());
    const response = await post();
    expect(response.status).toBe(200);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    const pending = reader.read();
    const first = await Promise.race([pending, new Promise((resolve) => setTimeout(() => resolve("nothing yet"), 100))]);
    expect(first).toBe("nothing yet");
    fake.release();
    expect((await pending).value).toContain('"Hi"');
    await reader.cancel();
  });

  it("can hold even the response headers until released", async () => {
    fake.reply(openai.textReply(["Hi"], { holdHeaders: true }));
    let answered = false;
    const pending = postOpenAI(openAIBody()).then((response) => {
      answered = true;
      return response;
    });
    await expect.poll(() => fake.requests.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(answered).toBe(false);
    fake.release();
    expect(await (await pending).text()).toContain('"content":"Hi"');
  });

  it("notices a client that leaves while the headers are held", async () => {
    fake.reply(gemini.textReply(["Hi"], { holdHeaders: true }));
    const controller = new AbortController();
    const pending = postGemini({ contents: [{ role: "user", parts: [{ text: "Explain" }] }] }, controller.signal).catch(() => "aborted");
    await expect.poll(() => fake.requests.length).toBe(1);
    const disconnected = fake.nextClientDisconnect();
    controller.abort();
    await disconnected;
    expect(await pending).toBe("aborted");
  });

  it("refuses replies without a protocol and unknown routes", async () => {
    expect((await control("reply", { replies: [{ kind: "error", status: 500, body: {} }] })).status).toBe(400);
    expect((await fetch(`${fake.url}/v1/completions`, { method: "POST", body: "{}" })).status).toBe(404);
  });
});
