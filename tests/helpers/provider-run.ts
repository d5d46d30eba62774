import { afterAll, beforeAll, beforeEach } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { prepareImage, type PreparedImage } from "@/lib/image/prepare-image";
import type { AnalysisInput, ProviderEvent } from "@/lib/providers/types";
import { startFakeModelServer, type FakeModelServer } from "@/tests/helpers/fake-model-server";
import { diagramPng } from "@/tests/helpers/images";
import { writeTemp } from "@/tests/helpers/temp-files";

/**
 * Runs a provider's answer (what `provider.analyze(...)` or `startModelAnswer(...)` returns) to
 * its end. Shared by the provider tests, which differ only in the server they talk to.
 */

type Answer = Promise<AsyncIterable<ProviderEvent>>;

/** Every event, for an answer expected to end without an error. */
export async function collect(answer: Answer): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  for await (const event of await answer) events.push(event);
  return events;
}

export interface Failure {
  error: AppError;
  events: ProviderEvent[];
  /**
   * Whether the answer had started (`analyze` resolved) before the failure. The route answers a
   * failure to start with its HTTP status, and one after the start as an `error` event after `meta`.
   */
  started: boolean;
}

/**
 * The events yielded and the AppError the answer ended with, whether the provider refused to
 * start (`events` is empty, `started` false) or failed mid-answer; anything else thrown fails the test.
 */
export async function failure(answer: Answer): Promise<Failure> {
  const events: ProviderEvent[] = [];
  let started = false;
  try {
    const iterable = await answer;
    started = true;
    for await (const event of iterable) events.push(event);
  } catch (error) {
    if (error instanceof AppError) return { error, events, started };
    throw error;
  }
  throw new Error(`expected the provider to fail, got ${JSON.stringify(events)}`);
}

export interface ProviderBench {
  fake: FakeModelServer;
  /** A diagram prepared as the route prepares uploads. */
  image: PreparedImage;
}

/**
 * What every provider test file needs: a fake model server started before its tests, reset
 * between them and closed after, and a prepared diagram to send. Read the fields inside tests.
 */
export function setUpProviderBench(): ProviderBench {
  const bench = {} as ProviderBench;
  beforeAll(async () => {
    bench.fake = await startFakeModelServer();
    bench.image = await prepareImage(await writeTemp(await diagramPng()), { maxPixels: 1e8, maxEdge: 3072 });
  });
  afterAll(() => bench.fake?.close());
  beforeEach(() => bench.fake.reset());
  return bench;
}

/**
 * What the route hands a provider for a first question about the bench's diagram, unless `input`
 * says otherwise (a follow-up's history, a depth, a signal to abort).
 */
export function analysisInput(bench: ProviderBench, input: Partial<Omit<AnalysisInput, "image">> = {}): AnalysisInput {
  return { image: bench.image, prompt: "Explain this architecture", history: [], signal: new AbortController().signal, ...input };
}
