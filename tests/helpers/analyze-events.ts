import { EventSourceParserStream } from "eventsource-parser/stream";
import type { AnalyzeEvent } from "@/lib/shared/analyze-contract";
import { toAnalyzeEvent } from "@/lib/client/read-events";

/**
 * Reads the SSE body of POST /api/analyze, as fetch gives it, as typed events: how the tests read
 * the server's answers (the page reads them from XMLHttpRequest, in lib/streaming/request-analysis.ts).
 */
export async function* readAnalyzeEvents(body: ReadableStream<BufferSource>): AsyncGenerator<AnalyzeEvent> {
  const messages = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = messages.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const event = toAnalyzeEvent(value);
      if (event) yield event;
    }
  } finally {
    reader.releaseLock();
  }
}
