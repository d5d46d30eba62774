import { AppError } from "@/lib/errors";
import type { ProviderEvent } from "@/lib/providers/types";

/**
 * Runs a provider's answer (what `provider.analyze(...)` or `streamModelAnswer(...)` returns) to
 * its end. Shared by the provider tests, which differ only in the server they talk to.
 */

/** Every event, for an answer expected to end without an error. */
export async function collect(answer: AsyncIterable<ProviderEvent>): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  for await (const event of answer) events.push(event);
  return events;
}

/** The events yielded and the AppError the answer ended with; anything else thrown fails the test. */
export async function failure(answer: AsyncIterable<ProviderEvent>): Promise<{ error: AppError; events: ProviderEvent[] }> {
  const events: ProviderEvent[] = [];
  try {
    for await (const event of answer) events.push(event);
  } catch (error) {
    if (error instanceof AppError) return { error, events };
    throw error;
  }
  throw new Error(`expected the provider to fail, got ${JSON.stringify(events)}`);
}
