import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import type { ProviderEvent } from "@/lib/providers/types";
import { createAnswerStream } from "@/lib/streaming/answer-stream";
import type { AnalyzeEvent, MetaEvent } from "@/lib/streaming/events";
import { readAnalyzeEvents } from "@/lib/streaming/read-events";
import { encodeEvent, encodeKeepAlive } from "@/lib/streaming/sse";

const META: MetaEvent = {
  provider: "gemini",
  model: "gemini-test",
  image: { width: 900, height: 360, bytes: 4321, mimeType: "image/png" },
};

const decoder = new TextDecoder();

afterEach(() => {
  vi.useRealTimers();
});

async function readEvents(body: ReadableStream<Uint8Array>): Promise<AnalyzeEvent[]> {
  const events: AnalyzeEvent[] = [];
  // The page reads fetch's body, whose chunks are plain ArrayBuffer views.
  for await (const event of readAnalyzeEvents(body as ReadableStream<Uint8Array<ArrayBuffer>>)) events.push(event);
  return events;
}

async function* events(...list: ProviderEvent[]): AsyncGenerator<ProviderEvent> {
  for (const event of list) yield event;
}

describe("createAnswerStream", () => {
  it("sends meta first, then every provider event, then closes after done", async () => {
    const body = createAnswerStream({
      meta: META,
      first: { type: "delta", text: "## Overview" },
      rest: events({ type: "delta", text: "\nAn API." }, { type: "done", finishReason: "stop", usage: { totalTokens: 9 } }),
      abort: new AbortController(),
    });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "## Overview" } },
      { event: "delta", data: { text: "\nAn API." } },
      { event: "done", data: { finishReason: "stop", usage: { totalTokens: 9 } } },
    ]);
  });

  it("writes exactly the encoded events, nothing in between", async () => {
    const body = createAnswerStream({
      meta: META,
      first: { type: "delta", text: "a" },
      rest: events({ type: "done", finishReason: "length" }),
      abort: new AbortController(),
    });
    const text = decoder.decode(await new Response(body).arrayBuffer());
    const expected = [
      encodeEvent({ event: "meta", data: META }),
      encodeEvent({ event: "delta", data: { text: "a" } }),
      encodeEvent({ event: "done", data: { finishReason: "length" } }),
    ]
      .map((bytes) => decoder.decode(bytes))
      .join("");
    expect(text).toBe(expected);
  });

  it("closes right away when the first event is already done, without reading further or keeping a timer", async () => {
    vi.useFakeTimers();
    const next = vi.fn();
    const body = createAnswerStream({
      meta: META,
      first: { type: "done", finishReason: "stop" },
      rest: { next },
      abort: new AbortController(),
    });
    expect(vi.getTimerCount()).toBe(0);
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(next).not.toHaveBeenCalled();
  });

  it("turns an AppError thrown mid-answer into an error event after the text already sent", async () => {
    async function* failing(): AsyncGenerator<ProviderEvent> {
      yield { type: "delta", text: " more" };
      throw new AppError("provider_unavailable", 503, "Gemini is having trouble right now (HTTP 503).");
    }
    const body = createAnswerStream({ meta: META, first: { type: "delta", text: "Start" }, rest: failing(), abort: new AbortController() });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "Start" } },
      { event: "delta", data: { text: " more" } },
      { event: "error", data: { code: "provider_unavailable", message: "Gemini is having trouble right now (HTTP 503)." } },
    ]);
  });

  it("reports an unexpected failure with a generic message that leaks nothing", async () => {
    async function* failing(): AsyncGenerator<ProviderEvent> {
      yield { type: "delta", text: " more" };
      throw new Error("ECONNRESET at /srv/app/secret-path.js:12");
    }
    const body = createAnswerStream({ meta: META, first: { type: "delta", text: "Start" }, rest: failing(), abort: new AbortController() });
    const received = await readEvents(body);
    const last = received.at(-1);
    expect(last).toMatchObject({ event: "error", data: { code: "internal_error" } });
    expect(JSON.stringify(last)).not.toContain("secret-path");
    expect(received.filter((event) => event.event === "delta")).toHaveLength(2);
  });

  it("ends quietly, without an error event, when the provider fails because the client aborted", async () => {
    const abort = new AbortController();
    async function* aborted(): AsyncGenerator<ProviderEvent> {
      abort.abort();
      throw new DOMException("The operation was aborted.", "AbortError");
    }
    const body = createAnswerStream({ meta: META, first: { type: "delta", text: "Start" }, rest: aborted(), abort });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "Start" } },
    ]);
  });

  it("cancel() aborts the model call and ends the provider's iteration", async () => {
    const abort = new AbortController();
    let finished!: () => void;
    const providerFinished = new Promise<void>((resolve) => (finished = resolve));
    async function* waitingForModel(): AsyncGenerator<ProviderEvent> {
      try {
        // The model is thinking: nothing arrives until the call is aborted.
        await new Promise((resolve) => abort.signal.addEventListener("abort", resolve));
        yield { type: "delta", text: "too late" };
      } finally {
        finished();
      }
    }
    const body = createAnswerStream({ meta: META, first: { type: "delta", text: "Start" }, rest: waitingForModel(), abort });
    const reader = body.getReader();
    await reader.read(); // meta
    await reader.read(); // first delta
    const pending = reader.read(); // asks the provider for more
    expect(abort.signal.aborted).toBe(false);

    await reader.cancel();
    expect(abort.signal.aborted).toBe(true);
    expect((await pending).done).toBe(true);
    await providerFinished;
  });

  it("sends a keep-alive comment while the model is quiet, and stops once done", async () => {
    vi.useFakeTimers();
    let release!: (event: ProviderEvent) => void;
    const rest: AsyncIterator<ProviderEvent> = {
      next: () => new Promise((resolve) => (release = (value) => resolve({ value, done: false }))),
    };
    const body = createAnswerStream({
      meta: META,
      first: { type: "delta", text: "Start" },
      rest,
      abort: new AbortController(),
      keepAliveMs: 1000,
    });
    const reader = body.getReader();
    const read = async () => decoder.decode((await reader.read()).value);
    expect(await read()).toContain("event: meta");
    expect(await read()).toContain("event: delta");

    const quiet = read();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await quiet).toBe(decoder.decode(encodeKeepAlive()));

    release({ type: "done", finishReason: "stop" });
    expect(await read()).toContain("event: done");
    expect((await reader.read()).done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops the keep-alive timer when the client cancels", async () => {
    vi.useFakeTimers();
    const body = createAnswerStream({
      meta: META,
      first: { type: "delta", text: "Start" },
      rest: { next: () => new Promise(() => undefined) },
      abort: new AbortController(),
      keepAliveMs: 1000,
    });
    expect(vi.getTimerCount()).toBe(1);
    await body.cancel();
    expect(vi.getTimerCount()).toBe(0);
  });
});
