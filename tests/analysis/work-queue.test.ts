import { describe, expect, it } from "vitest";
import { createWorkQueue } from "@/lib/analysis/work-queue";
import { AppError } from "@/lib/shared/errors";

/** A task that runs until `finish` or `fail` is called, and says whether it has started. */
function controllableTask<T = string>() {
  let finish!: (value: T) => void;
  let fail!: (error: Error) => void;
  let started = false;
  const task = () => {
    started = true;
    return new Promise<T>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { task, finish: (value: T) => finish(value), fail: (error: Error) => fail(error), started: () => started };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function reserveError(reserve: () => unknown): AppError {
  try {
    reserve();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected reserve to throw");
}

describe("work queue", () => {
  it("takes concurrency + maxWaiting places, then refuses at once with 503 and Retry-After", () => {
    const queue = createWorkQueue({ name: "test", concurrency: 2, maxWaiting: 1 });
    for (let place = 0; place < 3; place++) queue.reserve();
    expect(queue.taken).toBe(3);
    const error = reserveError(() => queue.reserve());
    expect(error).toMatchObject({ code: "server_busy", status: 503 });
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.message).toMatch(/busy/);
  });

  it("bases Retry-After on how long tasks take and how many are ahead", async () => {
    let clock = 0;
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 2, typicalTaskMs: 10_000, now: () => clock });
    for (let place = 0; place < 3; place++) queue.reserve();
    // Three tasks ahead, one at a time, ten seconds each.
    expect(reserveError(() => queue.reserve()).retryAfterSeconds).toBe(30);
    const small = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 0, typicalTaskMs: 1, now: () => clock });
    const running = controllableTask();
    const done = small.reserve().run(running.task);
    await tick();
    clock += 1;
    running.finish("ok");
    await done;
    small.reserve();
    // Never below a second.
    expect(reserveError(() => small.reserve()).retryAfterSeconds).toBe(1);
  });

  it("runs `concurrency` tasks at once, the others in the order they came", async () => {
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 5 });
    const [first, second, third] = [controllableTask(), controllableTask(), controllableTask()];
    const results = [first, second, third].map((each) => queue.reserve().run(each.task));
    await tick();
    expect([first.started(), second.started(), third.started()]).toEqual([true, false, false]);
    first.finish("one");
    await tick();
    expect([second.started(), third.started()]).toEqual([true, false]);
    second.finish("two");
    await tick();
    third.finish("three");
    expect(await Promise.all(results)).toEqual(["one", "two", "three"]);
    expect(queue.taken).toBe(0);
  });

  it("drops a waiting task whose signal aborts: it never runs and its place is free at once", async () => {
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 1 });
    const running = controllableTask();
    const first = queue.reserve().run(running.task);
    const gone = new AbortController();
    const waiting = controllableTask();
    const dropped = queue.reserve().run(waiting.task, gone.signal);
    expect(() => queue.reserve()).toThrow(AppError);
    gone.abort();
    await expect(dropped).rejects.toMatchObject({ code: "request_cancelled" });
    expect(queue.taken).toBe(1);
    // The freed place is taken by someone else, who runs after the first task.
    const next = controllableTask();
    const later = queue.reserve().run(next.task);
    running.finish("first");
    await first;
    await tick();
    expect(waiting.started()).toBe(false);
    expect(next.started()).toBe(true);
    next.finish("next");
    expect(await later).toBe("next");
  });

  it("does not run a task whose signal aborted before it was queued", async () => {
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 0 });
    const task = controllableTask();
    await expect(queue.reserve().run(task.task, AbortSignal.abort())).rejects.toMatchObject({ code: "request_cancelled" });
    expect(task.started()).toBe(false);
    expect(queue.taken).toBe(0);
  });

  it("hands the running task the signal, so that it can stop", async () => {
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 0 });
    const abort = new AbortController();
    const result = queue.reserve().run(
      (signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("stopped")))),
      abort.signal,
    );
    await tick();
    abort.abort();
    await expect(result).rejects.toThrow("stopped");
    expect(queue.taken).toBe(0);
  });

  it("gives the place back when a task fails, and runs the next", async () => {
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 1 });
    const failing = controllableTask();
    const failed = queue.reserve().run(failing.task);
    const next = controllableTask();
    const later = queue.reserve().run(next.task);
    await tick();
    failing.fail(new Error("decoder crashed"));
    await expect(failed).rejects.toThrow("decoder crashed");
    await tick();
    expect(next.started()).toBe(true);
    next.finish("fine");
    expect(await later).toBe("fine");
    expect(queue.taken).toBe(0);
  });

  it("gives a place back once when released, however often, and refuses to run a released slot", async () => {
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 0 });
    const slot = queue.reserve();
    slot.release();
    slot.release();
    expect(queue.taken).toBe(0);
    await expect(slot.run(async () => "late")).rejects.toThrow(/released/);
    // A place that is running is not given back by release: the task's end does that.
    const running = controllableTask();
    const busy = queue.reserve();
    const result = busy.run(running.task);
    await tick();
    busy.release();
    expect(queue.taken).toBe(1);
    running.finish("done");
    await result;
    expect(queue.taken).toBe(0);
  });
});
