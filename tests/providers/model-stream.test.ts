import { describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { streamModelAnswer, type FinishClass, type ModelStream } from "@/lib/providers/model-stream";
import type { ProviderEvent, TokenUsage } from "@/lib/providers/types";
import { collect, failure } from "@/tests/helpers/provider-run";

/**
 * The plumbing both remote providers share, with a plain async generator standing in for the SDK's
 * stream: what the SDKs themselves do is tested against the fake model server (gemini.test.ts,
 * openai-compatible.test.ts).
 */

/** A chunk in the stand-in SDK's own shape. */
interface Chunk {
  texts?: string[];
  finish?: string;
  usage?: TokenUsage;
  block?: string;
}

const FINISHES: Record<string, FinishClass> = { STOP: "stop", MAX: "length", SAFETY: "blocked" };

/** What the provider maps SDK errors to; a marker code so the tests can see the mapping was used. */
const mapped = (error: unknown) =>
  error instanceof AppError ? error : new AppError("provider_unavailable", 503, "mapped by the provider", undefined, { cause: error });

function modelStream(sdk: () => AsyncIterable<Chunk>, overrides: Partial<ModelStream<Chunk>> = {}): ModelStream<Chunk> {
  return {
    providerName: "the test model",
    signal: new AbortController().signal,
    open: () => Promise.resolve(sdk()),
    read: (chunk) => ({ texts: chunk.texts ?? [], finishReason: chunk.finish, usage: chunk.usage, blockReason: chunk.block }),
    classifyFinish: (reason) => (reason === undefined ? "stop" : (FINISHES[reason] ?? "other")),
    toAppError: mapped,
    ...overrides,
  };
}

async function* chunks(...list: Chunk[]): AsyncGenerator<Chunk> {
  for (const chunk of list) yield chunk;
}

const resetByPeer = () => Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });

describe("streamModelAnswer", () => {
  it("yields each piece of text in order, then done with the finish reason and the latest usage", async () => {
    const events = await collect(
      streamModelAnswer(
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

  it("reports a stream without a finish reason as stop, without usage when none came", async () => {
    const events = await collect(streamModelAnswer(modelStream(() => chunks({ texts: ["Hi"] }))));
    expect(events).toEqual([
      { type: "delta", text: "Hi" },
      { type: "done", finishReason: "stop" },
    ]);
    expect(events[1]).not.toHaveProperty("usage");
  });

  it('reports an unfamiliar finish reason as "other"', async () => {
    const events = await collect(streamModelAnswer(modelStream(() => chunks({ texts: ["Hi"], finish: "SOMETHING_NEW" }))));
    expect(events.at(-1)).toEqual({ type: "done", finishReason: "other" });
  });

  it("fails with content_blocked 422 naming the block reason, before any text", async () => {
    const { error, events } = await failure(streamModelAnswer(modelStream(() => chunks({ block: "PROHIBITED_CONTENT" }))));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: "content_blocked", status: 422 });
    expect(error.message).toContain("The test model declined to answer");
    expect(error.message).toContain("PROHIBITED_CONTENT");
  });

  it("keeps the text sent before a blocked finish, then fails with content_blocked naming the reason", async () => {
    const { error, events } = await failure(
      streamModelAnswer(modelStream(() => chunks({ texts: ["The diagram shows"] }, { texts: [" a"], finish: "SAFETY" }))),
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
    const { error, events } = await failure(streamModelAnswer(modelStream(breaking, { toAppError })));
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
    const { error } = await failure(streamModelAnswer(modelStream(breaking, { isConnectionFailure })));
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toContain("broke off");
  });

  it("lets the provider map other failures after text", async () => {
    async function* failing(): AsyncGenerator<Chunk> {
      yield { texts: ["Partial"] };
      throw new Error("HTTP/2 stream error");
    }
    const { error, events } = await failure(streamModelAnswer(modelStream(failing)));
    expect(events).toEqual([{ type: "delta", text: "Partial" }]);
    expect(error).toMatchObject({ code: "provider_unavailable", message: "mapped by the provider" });
  });

  it("lets the provider map a connection failure before any text (unreachable, not broken off)", async () => {
    const cause = resetByPeer();
    async function* failing(): AsyncGenerator<Chunk> {
      yield { texts: [] };
      throw cause;
    }
    const { error, events } = await failure(streamModelAnswer(modelStream(failing)));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ code: "provider_unavailable", message: "mapped by the provider" });
    expect(error.cause).toBe(cause);
  });

  it("lets the provider map a failure to open the stream", async () => {
    const cause = new Error("HTTP 500");
    const { error } = await failure(streamModelAnswer(modelStream(chunks, { open: () => Promise.reject(cause) })));
    expect(error).toMatchObject({ code: "provider_unavailable" });
    expect(error.cause).toBe(cause);
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
    for await (const event of streamModelAnswer(modelStream(sdk, { signal: controller.signal }))) {
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
    for await (const event of streamModelAnswer(modelStream(sdk, { signal: controller.signal, toAppError }))) {
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
    const { error } = await failure(streamModelAnswer(modelStream(sdk)));
    expect(error).toMatchObject({ code: "provider_unavailable" });
  });
});
