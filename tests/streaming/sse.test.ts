import { describe, expect, it } from "vitest";
import { encodeEvent, encodeKeepAlive, SSE_HEADERS } from "@/lib/streaming/sse";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("encodeEvent", () => {
  it("writes one named event with its data as JSON, ended by a blank line", () => {
    expect(decode(encodeEvent({ event: "delta", data: { text: "Hello" } }))).toBe('event: delta\ndata: {"text":"Hello"}\n\n');
  });

  it("keeps data on one line even when the text has newlines and carriage returns", () => {
    const text = "## Overview\n\nline one\r\nline two\n\n";
    const encoded = decode(encodeEvent({ event: "delta", data: { text } }));
    const lines = encoded.split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe("event: delta");
    expect(lines[1]!.startsWith("data: ")).toBe(true);
    expect(JSON.parse(lines[1]!.slice("data: ".length))).toEqual({ text });
    expect(encoded.endsWith("\n\n")).toBe(true);
    expect(encoded).not.toContain("\r");
  });

  it("encodes non-ASCII text as UTF-8", () => {
    const bytes = encodeEvent({ event: "delta", data: { text: "Zürich → 東京 🚀" } });
    expect(decode(bytes)).toContain("Zürich → 東京 🚀");
    expect(bytes.length).toBeGreaterThan(decode(bytes).length);
  });

  it("writes meta, done and error events with all their fields", () => {
    const meta = {
      provider: "gemini" as const,
      model: "gemini-3.6-flash",
      image: { width: 900, height: 360, bytes: 12_345, mimeType: "image/png" },
    };
    expect(decode(encodeEvent({ event: "meta", data: meta }))).toBe(`event: meta\ndata: ${JSON.stringify(meta)}\n\n`);
    expect(decode(encodeEvent({ event: "done", data: { finishReason: "length", usage: { totalTokens: 5 } } }))).toBe(
      'event: done\ndata: {"finishReason":"length","usage":{"totalTokens":5}}\n\n',
    );
    expect(decode(encodeEvent({ event: "error", data: { code: "provider_unavailable", message: "Try again." } }))).toBe(
      'event: error\ndata: {"code":"provider_unavailable","message":"Try again."}\n\n',
    );
  });
});

describe("encodeKeepAlive", () => {
  it("is an SSE comment, which clients ignore", () => {
    expect(decode(encodeKeepAlive())).toBe(": keep-alive\n\n");
  });
});

describe("SSE_HEADERS", () => {
  it("declare an event stream that proxies and compression must not buffer", () => {
    expect(SSE_HEADERS["Content-Type"]).toBe("text/event-stream; charset=utf-8");
    expect(SSE_HEADERS["Cache-Control"]).toContain("no-transform");
    expect(SSE_HEADERS["Cache-Control"]).toContain("no-cache");
    expect(SSE_HEADERS["X-Accel-Buffering"]).toBe("no");
  });
});
