import { AppError } from "@/lib/errors";
import { connectionLostError, contentBlockedError, isNetworkFailure } from "@/lib/providers/provider-errors";
import type { FinishReason, ProviderEvent, TokenUsage } from "@/lib/providers/types";

/** What one streamed chunk of a model's answer says, in the same words for every SDK. */
export interface ChunkReading {
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
 * The plumbing every remote provider shares: text deltas as they arrive, then `done` with the
 * finish reason and usage. A safety block becomes content_blocked, before or after text; a
 * connection that breaks mid-answer says so (the text already sent stands); an aborted signal
 * ends the stream quietly, whatever the SDK does on abort.
 */
export async function* streamModelAnswer<Chunk>(stream: ModelStream<Chunk>): AsyncGenerator<ProviderEvent> {
  const isConnectionFailure = stream.isConnectionFailure ?? isNetworkFailure;
  let finishReason: string | undefined;
  let usage: TokenUsage | undefined;
  let answered = false;
  try {
    for await (const chunk of await stream.open()) {
      const reading = stream.read(chunk);
      if (reading.blockReason) throw contentBlockedError(stream.providerName, reading.blockReason);
      for (const text of reading.texts) {
        answered = true;
        yield { type: "delta", text };
      }
      finishReason = reading.finishReason ?? finishReason;
      usage = reading.usage ?? usage;
    }
  } catch (error) {
    if (stream.signal.aborted && !(error instanceof AppError)) return;
    if (answered && isConnectionFailure(error)) throw connectionLostError(stream.providerName, error);
    throw stream.toAppError(error);
  }
  if (stream.signal.aborted) return;
  const finish = stream.classifyFinish(finishReason);
  if (finish === "blocked") throw contentBlockedError(stream.providerName, finishReason ?? "unknown");
  yield { type: "done", finishReason: finish, ...(usage ? { usage } : {}) };
}
