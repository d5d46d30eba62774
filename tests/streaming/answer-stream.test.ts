import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import type { ProviderEvent } from "@/lib/providers/types";
import { createAnswerStream, type AnswerOutcome, type AnswerStreamSource } from "@/lib/streaming/answer-stream";
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

/** Longer than any test runs, for the tests that are not about the idle timeout. */
const NEVER_MS = 600_000;
const IDLE_ERROR = new AppError("provider_timeout", 504, "Gemini stopped answering for 1 s. The text so far is kept; try again for the rest.");

/** The stream of one answer, with what the tests don't set filled in, and the onEnd spy. */
function answer(parts: Pick<AnswerStreamSource, "first" | "rest"> & Partial<AnswerStreamSource>) {
  const onEnd = vi.fn<(outcome: AnswerOutcome) => void>();
  const abort = parts.abort ?? new AbortController();
  const body = createAnswerStream({
    meta: META,
    abort,
    idleTimeoutMs: NEVER_MS,
    idleTimeoutError: () => IDLE_ERROR,
    onEnd,
    ...parts,
  });
  return { body, onEnd, abort };
}

/** A provider that sends these events and then nothing, ever: a stalled model. */
function stallingAfter(...list: ProviderEvent[]): AsyncIterator<ProviderEvent> {
  const queue = [...list];
  return {
    next: () => {
      const value = queue.shift();
      return value ? Promise.resolve({ value, done: false }) : new Promise(() => undefined);
    },
  };
}

describe("createAnswerStream", () => {
  it("sends meta first, then every provider event, then closes after done", async () => {
    const { body, onEnd } = answer({
      first: { type: "delta", text: "## Overview" },
      rest: events({ type: "delta", text: "\nAn API." }, { type: "done", finishReason: "stop", usage: { totalTokens: 9 } }),
    });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "## Overview" } },
      { event: "delta", data: { text: "\nAn API." } },
      { event: "done", data: { finishReason: "stop", usage: { totalTokens: 9 } } },
    ]);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(onEnd).toHaveBeenCalledWith({ ended: "done", done: { finishReason: "stop", usage: { totalTokens: 9 } } });
  });

  it("writes exactly the encoded events, nothing in between", async () => {
    const { body } = answer({ first: { type: "delta", text: "a" }, rest: events({ type: "done", finishReason: "length" }) });
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
    const { body, onEnd } = answer({ first: { type: "done", finishReason: "stop" }, rest: { next } });
    expect(vi.getTimerCount()).toBe(0);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "done", done: { finishReason: "stop" } });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(next).not.toHaveBeenCalled();
    expect(onEnd).toHaveBeenCalledTimes(1);
  });

  it("turns an AppError thrown mid-answer into an error event after the text already sent", async () => {
    const failure = new AppError("provider_unavailable", 503, "Gemini is having trouble right now (HTTP 503).");
    async function* failing(): AsyncGenerator<ProviderEvent> {
      yield { type: "delta", text: " more" };
      throw failure;
    }
    const { body, onEnd } = answer({ first: { type: "delta", text: "Start" }, rest: failing() });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "Start" } },
      { event: "delta", data: { text: " more" } },
      { event: "error", data: { code: "provider_unavailable", message: "Gemini is having trouble right now (HTTP 503)." } },
    ]);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "error", error: failure });
  });

  it("reports an unexpected failure with a generic message that leaks nothing, logging the cause", async () => {
    const cause = new Error("ECONNRESET at /srv/app/secret-path.js:12");
    async function* failing(): AsyncGenerator<ProviderEvent> {
      yield { type: "delta", text: " more" };
      throw cause;
    }
    const { body, onEnd } = answer({ first: { type: "delta", text: "Start" }, rest: failing() });
    const received = await readEvents(body);
    const last = received.at(-1);
    expect(last).toMatchObject({ event: "error", data: { code: "internal_error" } });
    expect(JSON.stringify(last)).not.toContain("secret-path");
    expect(received.filter((event) => event.event === "delta")).toHaveLength(2);
    // The server's log keeps what the client must not see.
    const [outcome] = onEnd.mock.calls[0]!;
    expect(outcome).toMatchObject({ ended: "error", error: { code: "internal_error", cause } });
  });

  it("ends quietly, without an error event, when the provider fails because the client aborted", async () => {
    const abort = new AbortController();
    async function* aborted(): AsyncGenerator<ProviderEvent> {
      abort.abort();
      throw new DOMException("The operation was aborted.", "AbortError");
    }
    const { body, onEnd } = answer({ first: { type: "delta", text: "Start" }, rest: aborted(), abort });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "Start" } },
    ]);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });

  it("ends quietly when the provider stops without done (its signal was aborted)", async () => {
    const { body, onEnd } = answer({ first: { type: "delta", text: "Start" }, rest: events() });
    expect((await readEvents(body)).map((event) => event.event)).toEqual(["meta", "delta"]);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });

  it("cancel() aborts the model call and ends the provider's iteration, reporting cancelled once", async () => {
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
    const { body, onEnd } = answer({ first: { type: "delta", text: "Start" }, rest: waitingForModel(), abort });
    const reader = body.getReader();
    await reader.read(); // meta
    await reader.read(); // first delta
    const pending = reader.read(); // asks the provider for more
    expect(abort.signal.aborted).toBe(false);

    await reader.cancel();
    expect(abort.signal.aborted).toBe(true);
    expect((await pending).done).toBe(true);
    await providerFinished;
    // The provider's late answer to the pending read does not end the answer a second time.
    await new Promise((resolve) => setImmediate(resolve));
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });

  describe("when the model stalls mid-answer", () => {
    it("ends with a provider_timeout error event after the text already sent, aborting the model call", async () => {
      const { body, onEnd, abort } = answer({
        first: { type: "delta", text: "Start" },
        rest: stallingAfter({ type: "delta", text: " more" }),
        idleTimeoutMs: 20,
      });
      expect(await readEvents(body)).toEqual([
        { event: "meta", data: META },
        { event: "delta", data: { text: "Start" } },
        { event: "delta", data: { text: " more" } },
        { event: "error", data: { code: "provider_timeout", message: IDLE_ERROR.message } },
      ]);
      expect(abort.signal.aborted).toBe(true);
      // Aborted by the timeout, not by the client: reported as the error it is.
      expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "error", error: IDLE_ERROR });
    });

    it("gives every piece its own idle timeout, not one for the whole answer", async () => {
      vi.useFakeTimers();
      let release!: (event: ProviderEvent) => void;
      const rest: AsyncIterator<ProviderEvent> = {
        next: () => new Promise((resolve) => (release = (value) => resolve({ value, done: false }))),
      };
      const { body, onEnd, abort } = answer({ first: { type: "delta", text: "a" }, rest, idleTimeoutMs: 1000 });
      const reader = body.getReader();
      await reader.read(); // meta
      await reader.read(); // first delta
      for (const text of ["b", "c", "d"]) {
        const next = reader.read();
        await vi.advanceTimersByTimeAsync(999);
        release({ type: "delta", text });
        expect(decoder.decode((await next).value)).toContain(`"text":"${text}"`);
      }
      expect(abort.signal.aborted).toBe(false);
      const next = reader.read();
      await vi.advanceTimersByTimeAsync(999);
      release({ type: "done", finishReason: "stop" });
      expect(decoder.decode((await next).value)).toContain("event: done");
      expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "done", done: { finishReason: "stop" } });
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it("sends a keep-alive comment while the model is quiet, and stops once done", async () => {
    vi.useFakeTimers();
    let release!: (event: ProviderEvent) => void;
    const rest: AsyncIterator<ProviderEvent> = {
      next: () => new Promise((resolve) => (release = (value) => resolve({ value, done: false }))),
    };
    const { body } = answer({ first: { type: "delta", text: "Start" }, rest, keepAliveMs: 1000 });
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

  it("stops the keep-alive timer when the client cancels, and reports cancelled", async () => {
    vi.useFakeTimers();
    const { body, onEnd } = answer({ first: { type: "delta", text: "Start" }, rest: stallingAfter(), keepAliveMs: 1000 });
    expect(vi.getTimerCount()).toBe(1);
    await body.cancel();
    expect(vi.getTimerCount()).toBe(0);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });
});
