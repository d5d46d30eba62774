import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AnalyzeEvent, MetaEvent } from "@/lib/shared/analyze-contract";
import { AnalysisRequestError, requestAnalysis, type AnalysisRequest, type RequestEvent } from "@/lib/client/request-analysis";
import { encodeEvent } from "@/lib/streaming/sse";
import { FakeXMLHttpRequest, type FakeServerScript } from "@/tests/helpers/fake-xml-http-request";

/** The page's side of POST /api/analyze, with the network played by a scripted XMLHttpRequest. */

beforeEach(() => {
  FakeXMLHttpRequest.reset();
  vi.stubGlobal("XMLHttpRequest", FakeXMLHttpRequest);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const image = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "diagram.png", { type: "image/png" });

const META: MetaEvent = {
  provider: "gemini",
  model: "gemini-test",
  image: { width: 900, height: 360, bytes: 4321, mimeType: "image/png" },
  imageId: "kept-image-id",
};

const ANSWER: AnalyzeEvent[] = [
  { event: "meta", data: META },
  { event: "thought", data: { text: "Reading the labels." } },
  { event: "delta", data: { text: "## Overview\n" } },
  { event: "delta", data: { text: "An API." } },
  { event: "done", data: { finishReason: "stop" } },
];

const decoder = new TextDecoder();
const sse = (...events: AnalyzeEvent[]) => events.map((event) => decoder.decode(encodeEvent(event))).join("");

const HISTORY = [{ task: "Explain this architecture", answer: "## Overview\nAn API." }];

function request(overrides: Partial<AnalysisRequest> = {}): AnalysisRequest {
  return { image, prompt: "Explain", signal: new AbortController().signal, ...overrides };
}

/** The server answering 200 with these events, after the whole upload. */
const answering =
  (...events: AnalyzeEvent[]): FakeServerScript =>
  (xhr) =>
    xhr.answer(200, sse(...events));

/** The server answering with an error status and body. */
const failing =
  (status: number, body: string): FakeServerScript =>
  (xhr) =>
    xhr.answer(status, body);

const errorBody = (code: string, message: string) => JSON.stringify({ error: { code, message } });

function serve(...scripts: FakeServerScript[]) {
  FakeXMLHttpRequest.scripts = scripts;
}

async function collect(input: AnalysisRequest = request()): Promise<RequestEvent[]> {
  const events: RequestEvent[] = [];
  for await (const event of requestAnalysis(input)) events.push(event);
  return events;
}

/** The error requestAnalysis ends with, and the events it yielded before. */
async function failure(input: AnalysisRequest = request()): Promise<{ error: unknown; events: RequestEvent[] }> {
  const events: RequestEvent[] = [];
  try {
    for await (const event of requestAnalysis(input)) events.push(event);
  } catch (error) {
    return { error, events };
  }
  throw new Error(`expected requestAnalysis to fail, got ${JSON.stringify(events)}`);
}

/** Whether a promise is still pending after everything already due has run. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol("pending");
  const result = await Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve(marker), 10))]);
  return result === marker;
}

const sentRequests = () => FakeXMLHttpRequest.sent;

describe("requestAnalysis: the form it sends", () => {
  it("posts the task, the provider, the depth and the image to /api/analyze", async () => {
    serve(answering(...ANSWER));
    await collect(request({ prompt: "Explain this architecture", provider: "gemini", depth: "high" }));
    const [xhr] = sentRequests();
    expect(xhr?.method).toBe("POST");
    expect(xhr?.url).toBe("/api/analyze");
    expect(xhr?.field("prompt")).toBe("Explain this architecture");
    expect(xhr?.field("provider")).toBe("gemini");
    expect(xhr?.field("depth")).toBe("high");
    const sentImage = xhr?.body?.get("image") as File;
    expect(sentImage.name).toBe("diagram.png");
    expect(new Uint8Array(await sentImage.arrayBuffer())).toEqual(new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    expect(xhr?.field("imageId")).toBeUndefined();
    expect(xhr?.field("history")).toBeUndefined();
  });

  it("leaves out the fields a request does not set, so the server uses its defaults", async () => {
    serve(answering(...ANSWER));
    await collect(request({ history: [] }));
    const [xhr] = sentRequests();
    expect([...(xhr?.body?.keys() ?? [])].sort()).toEqual(["image", "prompt"]);
  });

  it("sends a follow-up's earlier turns as one JSON field, and names the kept image instead of sending it", async () => {
    serve(answering(...ANSWER));
    await collect(request({ prompt: "What does it connect to?", imageId: "kept-image-id", history: HISTORY }));
    const [xhr] = sentRequests();
    expect(xhr?.field("prompt")).toBe("What does it connect to?");
    expect(xhr?.field("imageId")).toBe("kept-image-id");
    expect(JSON.parse(xhr?.field("history") ?? "null")).toEqual(HISTORY);
    expect(xhr?.body?.has("image")).toBe(false);
  });
});

describe("requestAnalysis: a saved conversation", () => {
  it("names the conversation instead of sending the image, its id or the history: the server has them", async () => {
    serve(answering(...ANSWER));
    const events = await collect(request({ prompt: "And then?", conversationId: "conversation-0123", imageId: "kept-image-id", history: HISTORY }));
    const [xhr] = sentRequests();
    expect([...(xhr?.body?.keys() ?? [])].sort()).toEqual(["conversationId", "prompt"]);
    expect(xhr?.field("conversationId")).toBe("conversation-0123");
    expect(events[0]).toEqual({ event: "sent", data: { withImage: false } });
  });

  it("names the saved turn a retry replaces", async () => {
    serve(answering(...ANSWER));
    await collect(request({ conversationId: "conversation-0123", replaceTurnId: "turn-0123456" }));
    const [xhr] = sentRequests();
    expect(xhr?.field("replaceTurnId")).toBe("turn-0123456");
  });

  it("does not send the file when the server says the saved image is gone: the conversation cannot go on", async () => {
    serve(failing(410, errorBody("image_expired", "This conversation's image was deleted.")), answering(...ANSWER));
    const { error } = await failure(request({ conversationId: "conversation-0123" }));
    expect(error).toMatchObject({ code: "image_expired", message: "This conversation's image was deleted." });
    expect(sentRequests()).toHaveLength(1);
  });

  it("refuses, without a request, a question with neither a conversation nor a file to send", async () => {
    const { error } = await failure({ prompt: "Explain", signal: new AbortController().signal });
    expect(error).toMatchObject({ code: "missing_image" });
    expect(sentRequests()).toHaveLength(0);
  });
});

describe("requestAnalysis: progress and the answer", () => {
  it("reports the upload's progress, then that the request is all sent, then the answer's events", async () => {
    serve((xhr) => {
      xhr.uploadProgress(40_000, 100_000);
      xhr.uploadProgress(100_000, 100_000);
      xhr.answer(200, sse(...ANSWER));
    });
    expect(await collect()).toEqual([
      { event: "upload", data: { loaded: 40_000, total: 100_000 } },
      { event: "upload", data: { loaded: 100_000, total: 100_000 } },
      { event: "sent", data: { withImage: true } },
      ...ANSWER,
    ]);
  });

  it("says a follow-up went without the image", async () => {
    serve(answering(...ANSWER));
    const events = await collect(request({ imageId: "kept-image-id", history: HISTORY }));
    expect(events[0]).toEqual({ event: "sent", data: { withImage: false } });
  });

  it("reports no progress it cannot measure", async () => {
    serve((xhr) => {
      xhr.uploadProgress(1000, 0, false);
      xhr.answer(200, sse(...ANSWER));
    });
    expect((await collect()).filter((event) => event.event === "upload")).toEqual([]);
  });

  it("yields each event as soon as its text has arrived, however the text is split", async () => {
    const text = sse(...ANSWER);
    const iterator = requestAnalysis(request());
    const sent = iterator.next();
    const [xhr] = sentRequests();
    xhr!.uploadDone();
    expect((await sent).value).toEqual({ event: "sent", data: { withImage: true } });
    xhr!.respond(200);

    // Cut inside the meta event's JSON, between the two newlines that end an event, and in the
    // middle of the last event's name.
    const metaEnd = text.indexOf("\n\n") + 2;
    const cuts = [20, metaEnd - 1, metaEnd + 3, text.lastIndexOf("event: done") + 8, text.length];
    let next = iterator.next();
    xhr!.receive(text.slice(0, cuts[0]));
    expect(await isPending(next)).toBe(true);
    xhr!.receive(text.slice(cuts[0], cuts[1]));
    expect(await isPending(next)).toBe(true);
    xhr!.receive(text.slice(cuts[1], cuts[2]));
    expect((await next).value).toEqual(ANSWER[0]);

    xhr!.receive(text.slice(cuts[2], cuts[3]));
    for (const expected of ANSWER.slice(1, -1)) expect((await iterator.next()).value).toEqual(expected);
    next = iterator.next();
    expect(await isPending(next)).toBe(true);
    xhr!.receive(text.slice(cuts[3], cuts[4]));
    expect((await next).value).toEqual(ANSWER.at(-1));
    xhr!.finish();
    expect((await iterator.next()).done).toBe(true);
  });

  it("reads a body that was never reported in progress events when the response ends", async () => {
    serve((xhr) => {
      xhr.uploadDone();
      xhr.respond(200);
      xhr.responseText = sse(...ANSWER);
      xhr.finish();
    });
    expect((await collect()).slice(1)).toEqual(ANSWER);
  });

  it("skips keep-alive comments and events this page does not know", async () => {
    const body = `${sse(ANSWER[0]!)}: keep-alive\n\nevent: from_a_newer_server\ndata: {"x":1}\n\n${sse(...ANSWER.slice(1))}`;
    serve((xhr) => xhr.answer(200, body));
    expect((await collect()).slice(1)).toEqual(ANSWER);
  });

  it("ends without an error when the server closes the stream early: the page reports that itself", async () => {
    serve(answering(ANSWER[0]!, ANSWER[2]!));
    expect((await collect()).map((event) => event.event)).toEqual(["sent", "meta", "delta"]);
  });
});

describe("requestAnalysis: failures", () => {
  it("shows the server's own explanation and code for an error response", async () => {
    serve(failing(415, errorBody("unsupported_media_type", "Only JPEG and PNG images are accepted.")));
    const { error, events } = await failure();
    expect(error).toBeInstanceOf(AnalysisRequestError);
    expect(error).toMatchObject({ message: "Only JPEG and PNG images are accepted.", code: "unsupported_media_type" });
    // The upload had finished: the page knew the server was working on it.
    expect(events).toEqual([{ event: "sent", data: { withImage: true } }]);
  });

  it("does not read an error response's body as events", async () => {
    serve((xhr) => {
      xhr.uploadDone();
      xhr.respond(503);
      xhr.receive(errorBody("provider_quota", "Try again in 12 s."));
      xhr.finish();
    });
    const { error, events } = await failure();
    expect(error).toMatchObject({ code: "provider_quota", message: "Try again in 12 s." });
    expect(events.map((event) => event.event)).toEqual(["sent"]);
  });

  it("explains a 413 from a proxy that sent no JSON", async () => {
    serve(failing(413, "<html>413 Request Entity Too Large</html>"));
    const { error } = await failure();
    expect(error).toMatchObject({ code: "file_too_large", message: "The image is too large for this server." });
  });

  it("explains a 413 with no body at all", async () => {
    serve(failing(413, ""));
    expect((await failure()).error).toMatchObject({ code: "file_too_large" });
  });

  it("names the status of any other unexplained failure", async () => {
    serve(failing(502, "Bad gateway"));
    const { error } = await failure();
    expect(error).toMatchObject({ code: "http_error" });
    expect((error as Error).message).toContain("HTTP 502");
  });

  it("turns a network failure into a sentence about the connection", async () => {
    serve((xhr) => {
      xhr.uploadProgress(10, 100);
      xhr.failNetwork();
    });
    const { error, events } = await failure();
    expect(error).toBeInstanceOf(AnalysisRequestError);
    expect(error).toMatchObject({ code: "network", message: expect.stringContaining("could not be reached") });
    expect(events).toEqual([{ event: "upload", data: { loaded: 10, total: 100 } }]);
  });

  it("keeps the events already yielded when the connection fails mid-answer", async () => {
    serve(async (xhr) => {
      xhr.uploadDone();
      xhr.respond(200);
      xhr.receive(sse(...ANSWER.slice(0, 3)));
      // A browser fires each XMLHttpRequest event as a task of its own: the page reads the
      // events of one before the next comes.
      await new Promise((resolve) => setTimeout(resolve, 0));
      xhr.failNetwork();
    });
    const { error, events } = await failure();
    expect(error).toMatchObject({ code: "network" });
    expect(events.slice(1)).toEqual(ANSWER.slice(0, 3));
  });
});

describe("requestAnalysis: stopping", () => {
  it("aborts the request when the person presses Stop mid-answer, ending with an AbortError", async () => {
    const controller = new AbortController();
    const iterator = requestAnalysis(request({ signal: controller.signal }));
    const sent = iterator.next();
    const [xhr] = sentRequests();
    xhr!.uploadDone();
    await sent;
    xhr!.respond(200);
    xhr!.receive(sse(ANSWER[0]!));
    expect((await iterator.next()).value).toEqual(ANSWER[0]);
    const next = iterator.next();
    controller.abort();
    await expect(next).rejects.toMatchObject({ name: "AbortError" });
    expect(xhr!.abortCalls).toBe(1);
    expect(xhr!.pending).toBe(false);
  });

  it("aborts an upload under way", async () => {
    const controller = new AbortController();
    serve((xhr) => {
      xhr.uploadProgress(10, 100);
      controller.abort();
    });
    const { error, events } = await failure(request({ signal: controller.signal }));
    expect(error).toMatchObject({ name: "AbortError" });
    expect(events).toEqual([{ event: "upload", data: { loaded: 10, total: 100 } }]);
  });

  it("sends nothing and ends with an AbortError when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const { error, events } = await failure(request({ signal: controller.signal }));
    expect(error).toMatchObject({ name: "AbortError" });
    expect(events).toEqual([]);
    expect(sentRequests()).toEqual([]);
  });

  it("aborts the request when the reader stops listening, without an error", async () => {
    const iterator = requestAnalysis(request());
    const sent = iterator.next();
    const [xhr] = sentRequests();
    xhr!.uploadDone();
    await sent;
    await iterator.return(undefined);
    expect(xhr!.abortCalls).toBe(1);
    expect(xhr!.pending).toBe(false);
  });

  it("does not abort a request that has ended when Stop comes late", async () => {
    const controller = new AbortController();
    serve(answering(...ANSWER));
    await collect(request({ signal: controller.signal }));
    controller.abort();
    expect(sentRequests()[0]!.abortCalls).toBe(0);
  });
});

describe("requestAnalysis: a kept image the server let go", () => {
  const followUp = () => request({ prompt: "What does it connect to?", imageId: "kept-image-id", history: HISTORY, depth: "low", provider: "gemini" });
  const expired = failing(410, errorBody("image_expired", "The server no longer keeps the image from the earlier question. Send it again."));

  it("sends the file again with the same question, and yields that answer as if nothing happened", async () => {
    serve(expired, (xhr) => {
      xhr.uploadProgress(4, 4);
      xhr.answer(200, sse(...ANSWER));
    });
    const events = await collect(followUp());
    expect(events).toEqual([
      { event: "sent", data: { withImage: false } },
      { event: "upload", data: { loaded: 4, total: 4 } },
      { event: "sent", data: { withImage: true } },
      ...ANSWER,
    ]);

    const [first, second] = sentRequests();
    expect(sentRequests()).toHaveLength(2);
    expect(first?.field("imageId")).toBe("kept-image-id");
    expect(first?.body?.has("image")).toBe(false);
    expect(second?.field("image")).toBe("file:diagram.png");
    expect(second?.body?.has("imageId")).toBe(false);
    for (const name of ["prompt", "history", "depth", "provider"]) expect(second?.field(name)).toBe(first?.field(name));
  });

  it("does not send the file again for any other error", async () => {
    serve(failing(503, errorBody("provider_quota", "Try again in 12 s.")));
    const { error } = await failure(followUp());
    expect(error).toMatchObject({ code: "provider_quota" });
    expect(sentRequests()).toHaveLength(1);
  });

  it("gives up with the second request's error when sending the file fails too", async () => {
    serve(expired, failing(413, ""));
    const { error } = await failure(followUp());
    expect(error).toMatchObject({ code: "file_too_large" });
    expect(sentRequests()).toHaveLength(2);
  });

  it("asks only once when a request that carried the file is told image_expired", async () => {
    serve(expired, answering(...ANSWER));
    const { error } = await failure(request());
    expect(error).toMatchObject({ code: "image_expired" });
    expect(sentRequests()).toHaveLength(1);
  });

  it("stops the second request too when the person presses Stop", async () => {
    const controller = new AbortController();
    serve(expired, (xhr) => {
      xhr.uploadProgress(1, 4);
      controller.abort();
    });
    const { error } = await failure({ ...followUp(), signal: controller.signal });
    expect(error).toMatchObject({ name: "AbortError" });
    expect(sentRequests()[1]?.abortCalls).toBe(1);
  });
});
