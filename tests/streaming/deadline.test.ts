import { afterEach, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/shared/errors";
import { within } from "@/lib/streaming/deadline";

afterEach(() => {
  vi.useRealTimers();
});

const TIMEOUT = new AppError("provider_timeout", "The model did not start answering within 1 s.");

describe("within", () => {
  it("gives the promise's value when it comes in time, leaving no timer and no abort", async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    expect(await within(Promise.resolve("answer"), 1000, abort, () => TIMEOUT)).toBe("answer");
    expect(abort.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("passes the promise's own failure through, untouched", async () => {
    const failure = new AppError("provider_quota", "Try again in 12 s.");
    const abort = new AbortController();
    await expect(within(Promise.reject(failure), 1000, abort, () => TIMEOUT)).rejects.toBe(failure);
    expect(abort.signal.aborted).toBe(false);
  });

  it("throws the timeout error and aborts (ending the model call) when the promise is late", async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const late = within(new Promise(() => undefined), 1000, abort, () => TIMEOUT);
    const settled = late.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(999);
    expect(abort.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled).toBe(TIMEOUT);
    expect(abort.signal.aborted).toBe(true);
  });

  // The route computes what is left of the first-token time; nothing left means no wait at all.
  it("times out at once for no time left", async () => {
    vi.useFakeTimers();
    const abort = new AbortController();
    const late = within(new Promise(() => undefined), 0, abort, () => TIMEOUT).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(0);
    expect(await late).toBe(TIMEOUT);
  });
});
