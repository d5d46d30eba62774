import "server-only";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";

const encoder = new TextEncoder();

/** One server-sent event. JSON never contains a raw newline, so `data:` is always a single line. */
export function encodeEvent({ event, data }: AnalyzeEvent): Uint8Array {
  return encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A comment line: ignored by clients, but keeps proxies from closing a quiet connection. */
export function encodeKeepAlive(): Uint8Array {
  return encoder.encode(": keep-alive\n\n");
}

export const SSE_HEADERS: Record<string, string> = {
  "Content-Type": "text/event-stream; charset=utf-8",
  // no-transform keeps compression middleware (Next's own included) from holding chunks back.
  "Cache-Control": "no-cache, no-transform",
  // nginx buffers proxied responses unless told otherwise.
  "X-Accel-Buffering": "no",
};
