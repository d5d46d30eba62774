import { afterEach, describe, expect, it, vi } from "vitest";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { toAnalyzeEvent } from "@/lib/client/read-events";
import { readAnalyzeEvents } from "@/tests/helpers/analyze-events";
import { encodeEvent, encodeKeepAlive } from "@/lib/streaming/sse";

const EVENTS: AnalyzeEvent[] = [
  {
    event: "meta",
    data: { provider: "gemini", model: "gemini-test", image: { width: 900, height: 360, bytes: 1234, mimeType: "image/png" } },
  },
  { event: "delta", data: { text: "## Überblick\n\n" } },
  { event: "delta", data: { text: "API → Lambda → S3 🚀 東京" } },
  { event: "done", data: { finishReason: "stop", usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 } } },
];

function concat(parts: Uint8Array[]): Uint8Array {
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return whole;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  // Copies, as fetch's body hands out fresh ArrayBuffer views.
  const queue = chunks.map((chunk) => new Uint8Array(chunk));
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      const next = queue.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    chunks.push(bytes.subarray(start, offset));
    start = offset;
  }
  return chunks;
}

async function readAll(chunks: Uint8Array[]): Promise<AnalyzeEvent[]> {
  const events: AnalyzeEvent[] = [];
  for await (const event of readAnalyzeEvents(streamOf(chunks))) events.push(event);
  return events;
}

const encoder = new TextEncoder();
const wire = concat(EVENTS.map(encodeEvent));

describe("readAnalyzeEvents", () => {
  it("reads back what encodeEvent wrote, in one chunk", async () => {
    expect(await readAll([wire])).toEqual(EVENTS);
  });

  it("reads the same events however the bytes are split in two", async () => {
    for (let offset = 1; offset < wire.length; offset++) {
      expect(await readAll(splitAt(wire, [offset])), `split at byte ${offset}`).toEqual(EVENTS);
    }
  });

  it("reads the same events one byte at a time", async () => {
    const bytes = Array.from(wire, (byte) => Uint8Array.of(byte));
    expect(await readAll(bytes)).toEqual(EVENTS);
  });

  it("joins a multi-byte character split across chunks", async () => {
    const rocket = encoder.encode("🚀");
    const start = indexOf(wire, rocket);
    expect(start).toBeGreaterThan(0);
    // Inside the 4-byte emoji at every position, and inside a 3-byte CJK character.
    const cjk = indexOf(wire, encoder.encode("東"));
    const chunks = splitAt(wire, [start + 1, start + 2, start + 3, cjk + 1, cjk + 2]);
    const events = await readAll(chunks);
    expect(events).toEqual(EVENTS);
    expect(JSON.stringify(events)).not.toContain("\uFFFD");
  });

  it("skips keep-alive comments, unknown events and unnamed messages", async () => {
    const chunks = [
      encodeKeepAlive(),
      encodeEvent(EVENTS[0]!),
      encoder.encode('event: progress\ndata: {"percent":50}\n\n'),
      encodeKeepAlive(),
      encoder.encode('data: {"text":"no event name"}\n\n'),
      encodeEvent(EVENTS[1]!),
      encoder.encode("event: ping\ndata: not even json\n\n"),
      encodeEvent(EVENTS[3]!),
    ];
    expect(await readAll(chunks)).toEqual([EVENTS[0], EVENTS[1], EVENTS[3]]);
  });

  it("accepts CRLF line endings", async () => {
    const crlf = encoder.encode('event: delta\r\ndata: {"text":"hi"}\r\n\r\n');
    expect(await readAll([crlf])).toEqual([{ event: "delta", data: { text: "hi" } }]);
  });

  it("drops an event cut off before its blank line instead of failing", async () => {
    const cut = concat([encodeEvent(EVENTS[1]!), encoder.encode('event: delta\ndata: {"text":"half')]);
    expect(await readAll([cut])).toEqual([EVENTS[1]]);
  });

  it("yields an error event like any other", async () => {
    const error: AnalyzeEvent = { event: "error", data: { code: "content_blocked", message: "Declined." } };
    expect(await readAll([encodeEvent(EVENTS[1]!), encodeEvent(error)])).toEqual([EVENTS[1], error]);
  });

  it("yields events while the body is still open", async () => {
    let controller!: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>;
    const body = new ReadableStream<Uint8Array<ArrayBuffer>>({ start: (c) => void (controller = c) });
    const events = readAnalyzeEvents(body);
    controller.enqueue(new Uint8Array(encodeEvent(EVENTS[1]!)));
    expect((await events.next()).value).toEqual(EVENTS[1]);
    controller.close();
    expect((await events.next()).done).toBe(true);
  });
});

describe("toAnalyzeEvent", () => {
  afterEach(() => vi.restoreAllMocks());
  const warnings = () => vi.spyOn(console, "warn").mockImplementation(() => undefined);

  it("returns an event that matches the contract as it came", () => {
    const warn = warnings();
    for (const event of EVENTS) expect(toAnalyzeEvent({ event: event.event, data: JSON.stringify(event.data) })).toEqual(event);
    expect(warn).not.toHaveBeenCalled();
  });

  it("skips an event name the contract does not know, and says so on the console", () => {
    const warn = warnings();
    expect(toAnalyzeEvent({ event: "progress", data: '{"percent":50}' })).toBeNull();
    expect(warn).toHaveBeenCalledOnce();
    expect(warn.mock.calls[0]?.[0]).toContain("progress");
  });

  it.each([
    { name: "data that is not JSON", event: "delta", data: '{"text":' },
    { name: "a field of the wrong type", event: "delta", data: '{"text":42}' },
    { name: "a missing field", event: "meta", data: '{"provider":"gemini","model":"m"}' },
    { name: "a finish reason the contract does not know", event: "done", data: '{"finishReason":"exploded"}' },
    { name: "an error code the contract does not know", event: "error", data: '{"code":"teapot","message":"No."}' },
    { name: "no data object at all", event: "thought", data: "null" },
  ])("skips a malformed event ($name) without throwing, and says so on the console", ({ event, data }) => {
    const warn = warnings();
    expect(() => toAnalyzeEvent({ event, data })).not.toThrow();
    expect(toAnalyzeEvent({ event, data })).toBeNull();
    expect(warn).toHaveBeenCalled();
    expect(warn.mock.calls[0]?.[0]).toContain(event);
  });

  it("keeps reading the stream after a malformed event", async () => {
    const warn = warnings();
    const chunks = [encodeEvent(EVENTS[0]!), encoder.encode('event: delta\ndata: {"text":null}\n\n'), encodeEvent(EVENTS[1]!), encodeEvent(EVENTS[3]!)];
    expect(await readAll(chunks)).toEqual([EVENTS[0], EVENTS[1], EVENTS[3]]);
    expect(warn).toHaveBeenCalledOnce();
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let index = 0; index <= haystack.length - needle.length; index++) {
    for (let offset = 0; offset < needle.length; offset++) if (haystack[index + offset] !== needle[offset]) continue outer;
    return index;
  }
  return -1;
}
