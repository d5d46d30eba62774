import type { EventSourceMessage } from "eventsource-parser";
import { analyzeEventSchema, type AnalyzeEvent } from "@/lib/shared/analyze-contract";

/**
 * One parsed server-sent message as a checked event; null for anything the contract does not
 * describe (an unknown event name, data that is not JSON or not the right shape). Such a message
 * is skipped and reported on the console rather than thrown: a newer server, or a proxy that
 * mangles one message, must not break the page that is showing an answer.
 */
export function toAnalyzeEvent(message: EventSourceMessage): AnalyzeEvent | null {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return skip(message, "its data is not JSON");
  }
  const result = analyzeEventSchema.safeParse({ event: message.event, data });
  if (!result.success) return skip(message, result.error.issues[0]?.message ?? "it does not match the contract");
  return result.data;
}

function skip(message: EventSourceMessage, reason: string): null {
  console.warn(`Skipped the server event “${message.event ?? "(unnamed)"}”: ${reason}.`);
  return null;
}
