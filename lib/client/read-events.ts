import type { EventSourceMessage } from "eventsource-parser";
import type { AnalyzeEvent, AnalyzeEventName } from "@/lib/shared/analyze-contract";

const EVENT_NAMES = new Set<AnalyzeEventName>(["meta", "thought", "delta", "done", "error"]);

/**
 * One parsed server-sent message as a typed event; null for events this page does not know, so
 * that a newer server does not break an older page.
 */
export function toAnalyzeEvent(message: EventSourceMessage): AnalyzeEvent | null {
  if (!message.event || !EVENT_NAMES.has(message.event as AnalyzeEventName)) return null;
  return { event: message.event, data: JSON.parse(message.data) } as AnalyzeEvent;
}
