import { EventSourceParserStream } from "eventsource-parser/stream";
import type { AnalyzeEvent, AnalyzeEventName } from "@/lib/streaming/events";

const EVENT_NAMES = new Set<AnalyzeEventName>(["meta", "delta", "done", "error"]);

/**
 * Reads the SSE body of POST /api/analyze as typed events. EventSource itself cannot POST a
 * form, so the stream is parsed from fetch's body; unknown events are skipped so that a newer
 * server does not break an older page.
 */
export async function* readAnalyzeEvents(body: ReadableStream<BufferSource>): AsyncGenerator<AnalyzeEvent> {
  const messages = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = messages.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (!value.event || !EVENT_NAMES.has(value.event as AnalyzeEventName)) continue;
      yield { event: value.event, data: JSON.parse(value.data) } as AnalyzeEvent;
    }
  } finally {
    reader.releaseLock();
  }
}
