import "server-only";
import type { AppError } from "@/lib/shared/errors";

/**
 * The promise's value, unless it takes longer than `ms`: then `abort` is aborted (which ends the
 * model call) and `timeoutError()` is thrown. Used for the model's first words and for every piece
 * after them, so neither a silent model nor a stalled connection holds a request forever.
 */
export async function within<T>(promise: Promise<T>, ms: number, abort: AbortController, timeoutError: () => AppError): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timeoutError());
      abort.abort();
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
