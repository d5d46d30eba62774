import "server-only";
import { AppError } from "@/lib/shared/errors";
import { connectionLostError, contentBlockedError, isNetworkFailure } from "@/lib/providers/provider-errors";
import type { ProviderEvent } from "@/lib/providers/types";
import type { FinishReason, TokenUsage } from "@/lib/shared/providers";

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
export type FinishClass = FinishReason | "blocked";

export interface ModelStream<Chunk> {
  /** The provider as people know it, for messages: "Gemini", "the model server". */
  providerName: string;
  signal: AbortSignal;
  /** Starts the model call; the SDK must be given `signal`. */
  open(): Promise<AsyncIterable<Chunk>>;
  read(chunk: Chunk): ChunkReading;
  classifyFinish(reason: string | undefined): FinishClass;
  /** Maps anything the SDK throws to an AppError. */
  toAppError(error: unknown): AppError;
  /** A failure of the connection itself; the SDK's own connection error type where it has one. */
  isConnectionFailure?(error: unknown): boolean;
}

/**
 * The plumbing every remote provider shares. Resolves once the model server has accepted the
 * request; failing to reach it, a refused key or a quota become the AppError this rejects with.
 * Then: thoughts and text deltas as they arrive, and `done` with the finish reason and usage. A
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
    throw stream.toAppError(error);
  }
  return readModelAnswer(stream, chunks);
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
    throw stream.toAppError(error);
  }
  if (stream.signal.aborted) return;
  const finish = stream.classifyFinish(finishReason);
  if (finish === "blocked") throw contentBlockedError(stream.providerName, finishReason ?? "unknown");
  yield { type: "done", finishReason: finish, ...(usage ? { usage } : {}) };
}
