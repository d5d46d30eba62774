import { describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { startModelAnswer, type FinishClass, type ModelStream } from "@/lib/providers/model-stream";
import type { ProviderEvent } from "@/lib/providers/types";
import { collect, failure } from "@/tests/helpers/provider-run";
import type { TokenUsage } from "@/lib/shared/providers";

/**
 * The plumbing both remote providers share, with a plain async generator standing in for the SDK's
 * stream: what the SDKs themselves do is tested against the fake model server (gemini.test.ts,
 * openai-compatible.test.ts).
 */

/** A chunk in the stand-in SDK's own shape. */
interface Chunk {
  thoughts?: string[];
  texts?: string[];
  finish?: string;
  usage?: TokenUsage;
  block?: string;
}

const FINISHES: Record<string, FinishClass> = { STOP: "stop", MAX: "length", SAFETY: "blocked" };

/** What the provider maps SDK errors to; a marker code so the tests can see the mapping was used. */
const mapped = (error: unknown) =>
  error instanceof AppError ? error : new AppError("provider_unavailable", "mapped by the provider", { cause: error });

function modelStream(sdk: () => AsyncIterable<Chunk>, overrides: Partial<ModelStream<Chunk>> = {}): ModelStream<Chunk> {
  return {
    providerName: "the test model",
    signal: new AbortController().signal,
    open: () => Promise.resolve(sdk()),
    read: (chunk) => ({ thoughts: chunk.thoughts, texts: chunk.texts ?? [], finishReason: chunk.finish, usage: chunk.usage, blockReason: chunk.block }),
    classifyFinish: (reason) => (reason === undefined ? "stop" : (FINISHES[reason] ?? "other")),
    toAppError: mapped,
    ...overrides,
  };
}

async function* chunks(...list: Chunk[]): AsyncGenerator<Chunk> {
  for (const chunk of list) yield chunk;
}

const resetByPeer = () => Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });

describe("startModelAnswer", () => {
  it("yields each piece of text in order, then done with the finish reason and the latest usage", async () => {
    const events = await collect(
      startModelAnswer(
        modelStream(() =>
          chunks(
            { texts: ["## Overview", "\nAn API"], usage: { inputTokens: 10 } },
            { texts: [] },
            { texts: [" and a queue."], finish: "MAX" },
            // A usage-only chunk after the finish reason keeps the reason.
            { usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } },
          ),
        ),
      ),
    );
    expect(events).toEqual([
      { type: "delta", text: "## Overview" },
      { type: "delta", text: "\nAn API" },
      { type: "delta", text: " and a queue." },
      { type: "done", finishReason: "length", usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 } },
    ]);
  });

  it("reports a stream without a finish reason as incomplete, not stop, without usage when none came", async () => {
    // The stream was cut short somewhere (a proxy, a crashed worker): the text may read as whole.
    const events = await collect(startModelAnswer(modelStream(() => chunks({ texts: ["Hi"] }))));
    expect(events).toEqual([
      { type: "delta", text: "Hi" },
      { type: "done", finishReason: "incomplete" },
    ]);
    expect(events[1]).not.toHaveProperty("usage");
  });

  it("tells onProviderFinish the provider's own finish reason, and nothing when it sent none", async () => {
    const reasons: string[] = [];
    const onProviderFinish = (reason: string) => reasons.push(reason);
    await collect(startModelAnswer(modelStream(() => chunks({ texts: ["Hi"], finish: "MAX" }), { onProviderFinish })));
    await collect(startModelAnswer(modelStream(() => chunks({ texts: ["Hi"] }), { onProviderFinish })));
    expect(reasons).toEqual(["MAX"]);
  });

  it("redacts the provider's keys and anything key-like from the errors it throws, keeping the cause", async () => {
    const secret = "very-secret-key-123";
    const echoed = `Bad request; headers were {"x-goog-api-key": "${secret}", "Authorization": "Bearer abc.def-ghi"} url ?key=AIzaSyA1234567890abcdefghijklmnopq`;
    const cause = new Error("upstream");
    const { error } = await failure(
      startModelAnswer(
        modelStream(() => chunks(), {
          open: () => Promise.reject(cause),
          toAppError: () => new AppError("provider_rejected", echoed, { cause }),
          secrets: [secret],
        }),
      ),
    );
    expect(error).toMatchObject({ code: "provider_rejected", status: 502 });
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain("abc.def-ghi");
    expect(error.message).not.toContain("AIzaSy");
    expect(error.message).toContain("[redacted]");
    expect(error.cause).toBe(cause);
  });

  it('reports an unfamiliar finish reason as "other"', async () => {
    const events = await collect(startModelAnswer(modelStream(() => chunks({ texts: ["Hi"], finish: "SOMETHING_NEW" }))));
    expect(events.at(-1)).toEqual({ type: "done", finishReason: "other" });
  });

  it("fails with content_blocked 422 naming the block reason, before any text, inside the answer it started", async () => {
    // The model accepted the request (HTTP 200) and then refused in its first chunk: the route has
    // already sent `meta`, so this is an error in the stream, not a rejection of the start.
    const answer = await startModelAnswer(modelStream(() => chunks({ block: "PROHIBITED_CONTENT" })));
    const { error, events } = await failure(Promise.resolve(answer));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
    expect(error.message).toContain("The test model declined to answer");
    expect(error.message).toContain("PROHIBITED_CONTENT");
  });

  it("keeps the text sent before a blocked finish, then fails with content_blocked naming the reason", async () => {
    const { error, events } = await failure(
      startModelAnswer(modelStream(() => chunks({ texts: ["The diagram shows"] }, { texts: [" a"], finish: "SAFETY" }))),
    );
    expect(events).toEqual([
      { type: "delta", text: "The diagram shows" },
      { type: "delta", text: " a" },
    ]);
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
    expect(error.message).toContain("SAFETY");
  });

  it("says the connection broke when it fails after text, keeping the cause and not asking the provider to map it", async () => {
    const cause = resetByPeer();
    const toAppError = vi.fn(mapped);
    async function* breaking(): AsyncGenerator<Chunk> {
      yield { texts: ["Partial"] };
      throw cause;
    }
    const { error, events } = await failure(startModelAnswer(modelStream(breaking, { toAppError })));
    expect(events).toEqual([{ type: "delta", text: "Partial" }]);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("The connection to the test model broke off in the middle of the answer");
    expect(error.cause).toBe(cause);
    expect(toAppError).not.toHaveBeenCalled();
  });

  it("uses the provider's own test of a connection failure when it has one", async () => {
    class SdkConnectionError extends Error {}
    async function* breaking(): AsyncGenerator<Chunk> {
      yield { texts: ["Partial"] };
      throw new SdkConnectionError("Connection error.");
    }
    const isConnectionFailure = (error: unknown) => error instanceof SdkConnectionError;
    const { error } = await failure(startModelAnswer(modelStream(breaking, { isConnectionFailure })));
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("broke off");
  });

  it("lets the provider map other failures after text", async () => {
    async function* failing(): AsyncGenerator<Chunk> {
      yield { texts: ["Partial"] };
      throw new Error("HTTP/2 stream error");
    }
    const { error, events } = await failure(startModelAnswer(modelStream(failing)));
    expect(events).toEqual([{ type: "delta", text: "Partial" }]);
    expect(error).toMatchObject({ code: "provider_unavailable", message: "mapped by the provider" });
  });

  it("lets the provider map a connection failure before any text (unreachable, not broken off)", async () => {
    const cause = resetByPeer();
    async function* failing(): AsyncGenerator<Chunk> {
      yield { texts: [] };
      throw cause;
    }
    const answer = await startModelAnswer(modelStream(failing));
    const { error, events } = await failure(Promise.resolve(answer));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: "provider_unavailable", message: "mapped by the provider" });
    expect(error.cause).toBe(cause);
  });

  it("rejects, mapped by the provider, when the stream cannot be opened (no answer to iterate)", async () => {
    const cause = new Error("HTTP 500");
    const toAppError = vi.fn(mapped);
    const started = startModelAnswer(modelStream(chunks, { open: () => Promise.reject(cause), toAppError }));
    // The route turns this rejection into the HTTP status of its response.
    await expect(started).rejects.toMatchObject({ code: "provider_unavailable", cause });
    expect(toAppError).toHaveBeenCalledExactlyOnceWith(cause);
  });

  it("resolves as soon as the model accepts the request, before its first chunk", async () => {
    let sendFirstChunk!: () => void;
    const firstChunk = new Promise<void>((resolve) => (sendFirstChunk = resolve));
    async function* thinking(): AsyncGenerator<Chunk> {
      await firstChunk;
      yield { texts: ["At last."] };
    }
    const answer = await startModelAnswer(modelStream(thinking));
    const iterator = answer[Symbol.asyncIterator]();
    const next = iterator.next();
    sendFirstChunk();
    expect(await next).toEqual({ done: false, value: { type: "delta", text: "At last." } });
  });

  it("resolves to an empty answer, not an error, when the request was stopped before the model accepted it", async () => {
    const controller = new AbortController();
    const toAppError = vi.fn(mapped);
    const open = () => {
      controller.abort();
      return Promise.reject(new DOMException("This operation was aborted", "AbortError"));
    };
    const answer = await startModelAnswer(modelStream(chunks, { open, signal: controller.signal, toAppError }));
    expect(await collect(Promise.resolve(answer))).toEqual([]);
    expect(toAppError).not.toHaveBeenCalled();
  });

  it("yields thoughts as thought events, before the text of the same chunk, in order", async () => {
    const events = await collect(
      startModelAnswer(
        modelStream(() =>
          chunks(
            { thoughts: ["**Reading** the diagram", "…the gateway"] },
            { thoughts: ["Then the queue."], texts: ["## Overview"] },
            { texts: [" An API."], finish: "STOP" },
          ),
        ),
      ),
    );
    expect(events).toEqual([
      { type: "thought", text: "**Reading** the diagram" },
      { type: "thought", text: "…the gateway" },
      { type: "thought", text: "Then the queue." },
      { type: "delta", text: "## Overview" },
      { type: "delta", text: " An API." },
      { type: "done", finishReason: "stop" },
    ]);
  });

  it("says the connection broke when it fails after thoughts only: the model had started", async () => {
    async function* breaking(): AsyncGenerator<Chunk> {
      yield { thoughts: ["Looking at the gateway"] };
      throw resetByPeer();
    }
    const { error, events } = await failure(startModelAnswer(modelStream(breaking)));
    expect(events).toEqual([{ type: "thought", text: "Looking at the gateway" }]);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("broke off");
  });

  it("ends quietly, without done, when aborted mid-answer even though the SDK ends normally", async () => {
    const controller = new AbortController();
    let sdkFinished = false;
    async function* sdk(): AsyncGenerator<Chunk> {
      yield { texts: ["First words"] };
      // Like the openai SDK: an aborted stream just stops, with a finish reason already seen.
      yield { texts: [], finish: "STOP" };
      sdkFinished = true;
    }
    const events: ProviderEvent[] = [];
    for await (const event of await startModelAnswer(modelStream(sdk, { signal: controller.signal }))) {
      events.push(event);
      controller.abort();
    }
    expect(sdkFinished).toBe(true);
    // No "done": it would claim a complete answer.
    expect(events).toEqual([{ type: "delta", text: "First words" }]);
  });

  it("ends quietly when the SDK throws its abort error after the signal was aborted", async () => {
    const controller = new AbortController();
    const toAppError = vi.fn(mapped);
    async function* sdk(): AsyncGenerator<Chunk> {
      yield { texts: ["First words"] };
      throw new DOMException("This operation was aborted", "AbortError");
    }
    const events: ProviderEvent[] = [];
    for await (const event of await startModelAnswer(modelStream(sdk, { signal: controller.signal, toAppError }))) {
      events.push(event);
      controller.abort();
    }
    expect(events).toEqual([{ type: "delta", text: "First words" }]);
    expect(toAppError).not.toHaveBeenCalled();
  });

  it("does not treat an SDK abort error as quiet when the signal was not aborted", async () => {
    async function* sdk(): AsyncGenerator<Chunk> {
      yield { texts: ["First words"] };
      throw new DOMException("The operation timed out", "AbortError");
    }
    const { error } = await failure(startModelAnswer(modelStream(sdk)));
    expect(error).toMatchObject({ code: "provider_unavailable" });
  });
});
