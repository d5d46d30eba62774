import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/shared/errors";
import type { ProviderEvent } from "@/lib/providers/types";
import { createAnswerStream, type AnswerOutcome, type AnswerStats, type AnswerStreamSource } from "@/lib/streaming/answer-stream";
import type { AnalyzeEvent, MetaEvent } from "@/lib/shared/analyze-contract";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
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

/** Longer than any test runs, for the tests that are not about a timeout. */
const NEVER_MS = 600_000;
const IDLE_ERROR = new AppError("provider_timeout", "Gemini stopped answering for 1 s. The text so far is kept; try again for the rest.");
const FIRST_TOKEN_ERROR = new AppError("provider_timeout", "The model (Gemini) did not start answering within 2 s. Try again, or try a smaller image.");

/** The stream of one answer, with what the tests don't set filled in, and the onEnd spy. */
function answer(parts: Pick<AnswerStreamSource, "events"> & Partial<AnswerStreamSource>) {
  const onEnd = vi.fn<(outcome: AnswerOutcome) => void>();
  const stats: AnswerStats[] = [];
  const abort = parts.abort ?? new AbortController();
  const body = createAnswerStream({
    meta: META,
    abort,
    firstTokenTimeoutMs: NEVER_MS,
    firstTokenTimeoutError: () => FIRST_TOKEN_ERROR,
    idleTimeoutMs: NEVER_MS,
    idleTimeoutError: () => IDLE_ERROR,
    onEnd: (outcome, streamStats) => {
      stats.push(streamStats);
      onEnd(outcome);
    },
    ...parts,
  });
  return { body, onEnd, abort, stats };
}

/**
 * A provider whose every event waits for the test to `send` it: a model taking its time. An event
 * sent before the stream asks for it waits for the next read (the stream reads one ahead).
 */
function scripted() {
  const sent: ProviderEvent[] = [];
  let waiting: ((event: ProviderEvent) => void) | undefined;
  const events: AsyncIterator<ProviderEvent> = {
    next: () =>
      new Promise((resolve) => {
        const deliver = (value: ProviderEvent) => resolve({ value, done: false });
        const queued = sent.shift();
        if (queued) deliver(queued);
        else waiting = deliver;
      }),
  };
  const send = (event: ProviderEvent) => {
    const deliver = waiting;
    waiting = undefined;
    if (deliver) deliver(event);
    else sent.push(event);
  };
  return { events, send };
}

/** `first`, then whatever `rest` yields. */
async function* startingWith(first: ProviderEvent, rest: AsyncIterator<ProviderEvent>): AsyncGenerator<ProviderEvent> {
  yield first;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
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
      events: events(
        { type: "delta", text: "## Overview" },
        { type: "delta", text: "\nAn API." },
        { type: "done", finishReason: "stop", usage: { totalTokens: 9 } },
      ),
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

  it("asks the model for the next piece only as the client reads: a slow reader holds the model back, not the server's memory", async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<ProviderEvent> {
      for (;;) {
        pulled++;
        yield { type: "delta", text: "x".repeat(1_000) };
      }
    }
    const { body } = answer({ events: endless() });
    const reader = body.getReader();
    await reader.read(); // meta
    await reader.read(); // the first piece
    // The client stops reading for a while: nothing more is taken from the model.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pulled).toBeLessThanOrEqual(3);
    await reader.cancel();
  });

  it("cuts an answer that runs past its character limit with an error event, and ends the model call", async () => {
    const abort = new AbortController();
    const { body, onEnd } = answer({
      abort,
      maxAnswerChars: 10,
      events: events({ type: "thought", text: "Think." }, { type: "delta", text: "1234" }, { type: "delta", text: "never sent" }, { type: "done", finishReason: "stop" }),
    });
    const sent = await readEvents(body);
    expect(sent.map((event) => event.event)).toEqual(["meta", "thought", "delta", "error"]);
    expect(sent.at(-1)).toEqual({ event: "error", data: { code: "answer_too_long", message: "The model kept writing past 10 characters; the answer was cut there." } });
    expect(abort.signal.aborted).toBe(true);
    expect(onEnd).toHaveBeenCalledWith({ ended: "error", error: expect.objectContaining({ code: "answer_too_long" }) });
  });

  it("writes exactly the encoded events, nothing in between, and reports the bytes and when the model first spoke", async () => {
    const before = Date.now();
    const { body, stats } = answer({
      events: events({ type: "thought", text: "Hmm." }, { type: "delta", text: "a" }, { type: "done", finishReason: "length" }),
    });
    const bytes = await new Response(body).arrayBuffer();
    const text = decoder.decode(bytes);
    expect(stats).toEqual([{ bytesSent: bytes.byteLength, firstEventAt: expect.any(Number) }]);
    expect(stats[0]!.firstEventAt).toBeGreaterThanOrEqual(before);
    const expected = [
      encodeEvent({ event: "meta", data: META }),
      encodeEvent({ event: "thought", data: { text: "Hmm." } }),
      encodeEvent({ event: "delta", data: { text: "a" } }),
      encodeEvent({ event: "done", data: { finishReason: "length" } }),
    ]
      .map((bytes) => decoder.decode(bytes))
      .join("");
    expect(text).toBe(expected);
  });

  it("sends meta at once, while the model has not said anything yet", async () => {
    const model = scripted();
    const { body } = answer({ events: model.events });
    const reader = body.getReader();
    expect(decoder.decode((await reader.read()).value)).toBe(decoder.decode(encodeEvent({ event: "meta", data: META })));
    const next = reader.read();
    model.send({ type: "delta", text: "Now." });
    expect(decoder.decode((await next).value)).toContain('"text":"Now."');
    await reader.cancel();
  });

  it("carries the kept image's id in meta", async () => {
    const meta: MetaEvent = { ...META, imageId: "kept-image-id" };
    const { body } = answer({ meta, events: events({ type: "done", finishReason: "stop" }) });
    expect((await readEvents(body))[0]).toEqual({ event: "meta", data: meta });
  });

  it("streams the model's thoughts as thought events, apart from the answer's deltas", async () => {
    const { body } = answer({
      events: events(
        { type: "thought", text: "**Reading** the labels" },
        { type: "thought", text: "…then the arrows" },
        { type: "delta", text: "## Overview" },
        { type: "done", finishReason: "stop" },
      ),
    });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "thought", data: { text: "**Reading** the labels" } },
      { event: "thought", data: { text: "…then the arrows" } },
      { event: "delta", data: { text: "## Overview" } },
      { event: "done", data: { finishReason: "stop" } },
    ]);
  });

  it("closes once done comes, without reading further and leaving no timer", async () => {
    vi.useFakeTimers();
    const next = vi.fn();
    const { body, onEnd } = answer({ events: startingWith({ type: "done", finishReason: "stop" }, { next }) });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(next).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "done", done: { finishReason: "stop" } });
  });

  it("turns an AppError thrown mid-answer into an error event after the text already sent", async () => {
    const failure = new AppError("provider_unavailable", "Gemini is having trouble right now (HTTP 503).");
    async function* failing(): AsyncGenerator<ProviderEvent> {
      yield { type: "delta", text: "Start" };
      yield { type: "delta", text: " more" };
      throw failure;
    }
    const { body, onEnd } = answer({ events: failing() });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "Start" } },
      { event: "delta", data: { text: " more" } },
      { event: "error", data: { code: "provider_unavailable", message: "Gemini is having trouble right now (HTTP 503)." } },
    ]);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "error", error: failure });
  });

  // The model accepted the request (so the response is a 200 with meta) and then refused, e.g.
  // Gemini's promptFeedback block: the page shows the reason in the answer's place.
  it("turns an AppError before the first token into an error event right after meta", async () => {
    const blocked = new AppError("content_blocked", "Gemini declined to answer for safety reasons (PROHIBITED_CONTENT).");
    async function* refusing(): AsyncGenerator<ProviderEvent> {
      throw blocked;
    }
    const { body, onEnd } = answer({ events: refusing() });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "error", data: { code: "content_blocked", message: blocked.message } },
    ]);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "error", error: blocked });
  });

  it("reports an unexpected failure with a generic message that leaks nothing, logging the cause", async () => {
    const cause = new Error("ECONNRESET at /srv/app/secret-path.js:12");
    async function* failing(): AsyncGenerator<ProviderEvent> {
      yield { type: "delta", text: "Start" };
      yield { type: "delta", text: " more" };
      throw cause;
    }
    const { body, onEnd } = answer({ events: failing() });
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
      yield { type: "delta", text: "Start" };
      abort.abort();
      throw new DOMException("The operation was aborted.", "AbortError");
    }
    const { body, onEnd } = answer({ events: aborted(), abort });
    expect(await readEvents(body)).toEqual([
      { event: "meta", data: META },
      { event: "delta", data: { text: "Start" } },
    ]);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });

  it("ends quietly when the provider stops without done (its signal was aborted)", async () => {
    const { body, onEnd } = answer({ events: events({ type: "delta", text: "Start" }) });
    expect((await readEvents(body)).map((event) => event.event)).toEqual(["meta", "delta"]);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });

  it("cancel() aborts the model call and ends the provider's iteration, reporting cancelled once", async () => {
    const abort = new AbortController();
    let finished!: () => void;
    const providerFinished = new Promise<void>((resolve) => (finished = resolve));
    async function* waitingForModel(): AsyncGenerator<ProviderEvent> {
      try {
        yield { type: "delta", text: "Start" };
        // The model is thinking: nothing arrives until the call is aborted.
        await new Promise((resolve) => abort.signal.addEventListener("abort", resolve));
        yield { type: "delta", text: "too late" };
      } finally {
        finished();
      }
    }
    const { body, onEnd } = answer({ events: waitingForModel(), abort });
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

  it("cancel() before the model's first token aborts the model call and reports cancelled", async () => {
    const model = scripted();
    const { body, onEnd, abort } = answer({ events: model.events });
    const reader = body.getReader();
    await reader.read(); // meta
    const pending = reader.read();
    await reader.cancel();
    expect(abort.signal.aborted).toBe(true);
    expect((await pending).done).toBe(true);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });

  describe("when the model's first token does not come", () => {
    it("ends with a provider_timeout error event after meta, aborting the model call", async () => {
      const { body, onEnd, abort } = answer({ events: stallingAfter(), firstTokenTimeoutMs: 20 });
      expect(await readEvents(body)).toEqual([
        { event: "meta", data: META },
        { event: "error", data: { code: "provider_timeout", message: FIRST_TOKEN_ERROR.message } },
      ]);
      expect(abort.signal.aborted).toBe(true);
      // Aborted by the timeout, not by the client: reported as the error it is.
      expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "error", error: FIRST_TOKEN_ERROR });
    });

    it("counts the first-token time from the stream's start, keep-alives and all", async () => {
      vi.useFakeTimers();
      const { body, abort } = answer({ events: stallingAfter(), firstTokenTimeoutMs: 1000, keepAliveMs: 300 });
      const reader = body.getReader();
      await reader.read(); // meta
      const received: string[] = [];
      const reading = (async () => {
        for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) received.push(decoder.decode(chunk.value));
      })();
      await vi.advanceTimersByTimeAsync(999);
      expect(abort.signal.aborted).toBe(false);
      expect(received.every((text) => text === decoder.decode(encodeKeepAlive()))).toBe(true);
      await vi.advanceTimersByTimeAsync(1);
      await reading;
      expect(abort.signal.aborted).toBe(true);
      expect(received.at(-1)).toContain("event: error");
      expect(vi.getTimerCount()).toBe(0);
    });

    it("takes the time already spent before the stream from the first-token timeout (what the route passes)", async () => {
      vi.useFakeTimers();
      // A zero or negative remainder: the model used up its time before meta was even sent.
      const { body } = answer({ events: stallingAfter(), firstTokenTimeoutMs: -5 });
      const reading = readEvents(body);
      await vi.advanceTimersByTimeAsync(0);
      expect((await reading).at(-1)).toEqual({ event: "error", data: { code: "provider_timeout", message: FIRST_TOKEN_ERROR.message } });
    });

    it("lets a thought count as the model's first token: a thinking model has started", async () => {
      vi.useFakeTimers();
      const model = scripted();
      const { body, abort, onEnd } = answer({ events: model.events, firstTokenTimeoutMs: 1000, idleTimeoutMs: 5000 });
      const reader = body.getReader();
      await reader.read(); // meta
      let next = reader.read();
      await vi.advanceTimersByTimeAsync(900);
      model.send({ type: "thought", text: "Looking at the gateway." });
      expect(decoder.decode((await next).value)).toContain("event: thought");
      // Past the first-token deadline, within the idle timeout of the thought: still going.
      next = reader.read();
      await vi.advanceTimersByTimeAsync(4000);
      model.send({ type: "delta", text: "An API." });
      expect(decoder.decode((await next).value)).toContain("event: delta");
      expect(abort.signal.aborted).toBe(false);
      next = reader.read();
      model.send({ type: "done", finishReason: "stop" });
      expect(decoder.decode((await next).value)).toContain("event: done");
      expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "done", done: { finishReason: "stop" } });
    });
  });

  describe("when the model stalls mid-answer", () => {
    it("ends with a provider_timeout error event after the text already sent, aborting the model call", async () => {
      const { body, onEnd, abort } = answer({
        events: stallingAfter({ type: "delta", text: "Start" }, { type: "delta", text: " more" }),
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

    it("uses the idle timeout, not the first-token one, once the model has spoken", async () => {
      const { body } = answer({ events: stallingAfter({ type: "thought", text: "Hmm." }), firstTokenTimeoutMs: NEVER_MS, idleTimeoutMs: 20 });
      expect((await readEvents(body)).at(-1)).toEqual({ event: "error", data: { code: "provider_timeout", message: IDLE_ERROR.message } });
    });

    it("gives every piece its own idle timeout, not one for the whole answer", async () => {
      vi.useFakeTimers();
      const model = scripted();
      const { body, onEnd, abort } = answer({ events: model.events, idleTimeoutMs: 1000 });
      const reader = body.getReader();
      await reader.read(); // meta
      let next = reader.read();
      model.send({ type: "delta", text: "a" });
      await next; // first delta
      for (const text of ["b", "c", "d"]) {
        next = reader.read();
        await vi.advanceTimersByTimeAsync(999);
        model.send({ type: "delta", text });
        expect(decoder.decode((await next).value)).toContain(`"text":"${text}"`);
      }
      expect(abort.signal.aborted).toBe(false);
      next = reader.read();
      await vi.advanceTimersByTimeAsync(999);
      model.send({ type: "done", finishReason: "stop" });
      expect(decoder.decode((await next).value)).toContain("event: done");
      expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "done", done: { finishReason: "stop" } });
      expect(vi.getTimerCount()).toBe(0);
    });
  });

  it("sends a keep-alive comment while the model is quiet, and stops once done", async () => {
    vi.useFakeTimers();
    const model = scripted();
    const { body } = answer({ events: model.events, keepAliveMs: 1000 });
    const reader = body.getReader();
    const read = async () => decoder.decode((await reader.read()).value);
    expect(await read()).toContain("event: meta");
    const first = read();
    model.send({ type: "delta", text: "Start" });
    expect(await first).toContain("event: delta");

    const quiet = read();
    await vi.advanceTimersByTimeAsync(1000);
    expect(await quiet).toBe(decoder.decode(encodeKeepAlive()));

    const last = read();
    model.send({ type: "done", finishReason: "stop" });
    expect(await last).toContain("event: done");
    expect((await reader.read()).done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops the keep-alive timer when the client cancels, and reports cancelled", async () => {
    vi.useFakeTimers();
    const { body, onEnd } = answer({ events: stallingAfter({ type: "delta", text: "Start" }), keepAliveMs: 1000 });
    expect(vi.getTimerCount()).toBe(1);
    await body.cancel();
    expect(vi.getTimerCount()).toBe(0);
    expect(onEnd).toHaveBeenCalledExactlyOnceWith({ ended: "cancelled" });
  });
});
