import "server-only";
import { AppError } from "@/lib/shared/errors";
import { connectionLostError, contentBlockedError, isNetworkFailure } from "@/lib/providers/provider-errors";
import type { ProviderEvent } from "@/lib/providers/types";
import type { FinishReason, TokenUsage } from "@/lib/shared/providers";
import { redactAppError, redactSecrets } from "@/lib/providers/redact-secrets";

/** What one streamed chunk of a model's answer says, in the same words for every SDK. */
export interface ChunkReading {
  /** Pieces of the model's reasoning, in order, for models that share it. */
  thoughts?: string[];
  /** Pieces of the answer, in order (thoughts excluded). */
  texts: string[];
  /** The provider's own finish reason, once it sends one. */
  finishReason?: string;
  usage?: TokenUsage;
  /** The provider refused the request before answering (Gemini's promptFeedback.blockReason). */
  blockReason?: string;
}

/** How a finish reason reads: one of ours, or "blocked" when the answer was withheld for safety. */
export type FinishClass = Exclude<FinishReason, "incomplete"> | "blocked";

/** Finish reasons are short names ("STOP", "length"); a longer one is not worth a log's space. */
const MAX_PROVIDER_FINISH_REASON_LENGTH = 64;

export interface ModelStream<Chunk> {
  /** The provider as people know it, for messages: "Gemini", "the model server". */
  providerName: string;
  signal: AbortSignal;
  /** Starts the model call; the SDK must be given `signal`. */
  open(): Promise<AsyncIterable<Chunk>>;
  read(chunk: Chunk): ChunkReading;
  /** Only called with a reason the provider sent: a stream without one is "incomplete". */
  classifyFinish(reason: string): FinishClass;
  /** Maps anything the SDK throws to an AppError. */
  toAppError(error: unknown): AppError;
  /** A failure of the connection itself; the SDK's own connection error type where it has one. */
  isConnectionFailure?(error: unknown): boolean;
  /**
   * The keys this provider sends: a server that echoes the request in its error must not hand
   * them to the person (patterns catch keys it does not know of).
   */
  secrets?: readonly (string | undefined)[];
  /** Told the provider's own finish reason, for the log (AnalysisInput's `onProviderFinish`). */
  onProviderFinish?(reason: string): void;
}

/**
 * The plumbing every remote provider shares. Resolves once the model server has accepted the
 * request; failing to reach it, a refused key or a quota become the AppError this rejects with.
 * Then: thoughts and text deltas as they arrive, and `done` with the finish reason and usage
 * ("incomplete" when the provider sent none; its own reason goes to `onProviderFinish`). A
 * safety block becomes content_blocked, before or after text; a connection that breaks
 * mid-answer says so (the text already sent stands); an aborted signal ends the stream quietly,
 * whatever the SDK does on abort.
 */
export async function startModelAnswer<Chunk>(stream: ModelStream<Chunk>): Promise<AsyncIterable<ProviderEvent>> {
  let chunks: AsyncIterable<Chunk>;
  try {
    chunks = await stream.open();
  } catch (error) {
    if (stream.signal.aborted && !(error instanceof AppError)) return noAnswer();
    throw redactedAppError(stream, error);
  }
  return readModelAnswer(stream, chunks);
}

/** Every failure leaves through here, so no server's words reach a person unredacted. */
function redactedAppError<Chunk>(stream: ModelStream<Chunk>, error: unknown): AppError {
  return redactAppError(stream.toAppError(error), stream.secrets ?? []);
}

/** What a request stopped before the model accepted it gets: nobody is listening any more. */
async function* noAnswer(): AsyncGenerator<ProviderEvent> {}

async function* readModelAnswer<Chunk>(stream: ModelStream<Chunk>, chunks: AsyncIterable<Chunk>): AsyncGenerator<ProviderEvent> {
  const isConnectionFailure = stream.isConnectionFailure ?? isNetworkFailure;
  let finishReason: string | undefined;
  let usage: TokenUsage | undefined;
  let received = false;
  try {
    for await (const chunk of chunks) {
      const reading = stream.read(chunk);
      if (reading.blockReason) throw contentBlockedError(stream.providerName, reading.blockReason);
      for (const text of reading.thoughts ?? []) {
        received = true;
        yield { type: "thought", text };
      }
      for (const text of reading.texts) {
        received = true;
        yield { type: "delta", text };
      }
      finishReason = reading.finishReason ?? finishReason;
      usage = reading.usage ?? usage;
    }
  } catch (error) {
    if (stream.signal.aborted && !(error instanceof AppError)) return;
    if (received && isConnectionFailure(error)) throw connectionLostError(stream.providerName, error);
    throw redactedAppError(stream, error);
  }
  if (stream.signal.aborted) return;
  // A stream that ends without saying why was cut short somewhere (a proxy, a crashed worker): the
  // text may read as whole, so it must not be reported as a normal stop.
  if (finishReason === undefined) {
    yield { type: "done", finishReason: "incomplete", ...(usage ? { usage } : {}) };
    return;
  }
  const providerFinishReason = redactSecrets(finishReason, stream.secrets).slice(0, MAX_PROVIDER_FINISH_REASON_LENGTH);
  stream.onProviderFinish?.(providerFinishReason);
  const finish = stream.classifyFinish(finishReason);
  if (finish === "blocked") throw contentBlockedError(stream.providerName, providerFinishReason);
  yield { type: "done", finishReason: finish, ...(usage ? { usage } : {}) };
}
