import type { AppError } from "@/lib/errors";

/**
 * The iterator's next result, unless it takes longer than `ms`: then `abort` is aborted (which
 * ends the model call) and `timeoutError()` is thrown. Used for the first token and for every
 * piece after it, so neither a silent model nor a stalled connection holds a request forever.
 */
export async function nextWithin<T>(
  iterator: AsyncIterator<T>,
  ms: number,
  abort: AbortController,
  timeoutError: () => AppError,
): Promise<IteratorResult<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(timeoutError());
      abort.abort();
    }, ms);
  });
  try {
    return await Promise.race([iterator.next(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
