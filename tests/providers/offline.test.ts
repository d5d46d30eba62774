import { describe, expect, it } from "vitest";
import type { PreparedImage } from "@/lib/image/prepare-image";
import type { ImageAnalysis } from "@/lib/offline/analyze-image";
import { createWorkQueue } from "@/lib/analysis/work-queue";
import { AppError } from "@/lib/shared/errors";
import type { AnalyzeFunction, AnalyzeOptions } from "@/lib/offline/analyzer";
import { composeAnswer, OFFLINE_NOTICE } from "@/lib/offline/answer/compose-answer";
import { createOfflineProvider, CUT_SHORT_NOTE, partialReadNotice } from "@/lib/providers/offline";
import type { ProviderEvent } from "@/lib/providers/types";
import { clickstream } from "@/tests/offline/analysis-fixtures";
import { collect, failure } from "@/tests/helpers/provider-run";
import type { ConversationTurn } from "@/lib/shared/providers";

const image: PreparedImage = {
  data: Buffer.from([1, 2, 3]),
  mimeType: "image/png",
  width: 640,
  height: 480,
  bytes: 3,
  source: { mimeType: "image/png", width: 640, height: 480 },
};

const NOTICE_EVENT: ProviderEvent = { type: "delta", text: `${OFFLINE_NOTICE}\n\n` };
const TASK = "Explain this architecture";

/** An analyzer that answers with `analysis` and records what it was given. */
function fakeAnalyze(analysis: ImageAnalysis = clickstream()) {
  const calls: Buffer[] = [];
  const analyze: AnalyzeFunction = async (data) => {
    calls.push(data);
    return analysis;
  };
  return { analyze, calls };
}

function run(analyze: AnalyzeFunction, signal = new AbortController().signal, prompt = TASK, history: ConversationTurn[] = []) {
  return createOfflineProvider(analyze).analyze({ image, prompt, history, signal });
}

const text = (events: ProviderEvent[]) => events.map((event) => (event.type === "delta" ? event.text : "")).join("");

describe("offline provider", () => {
  it("names itself as the offline analyzer, no model", () => {
    const provider = createOfflineProvider(fakeAnalyze().analyze);
    expect(provider.id).toBe("offline");
    expect(provider.model).toBe("PP-OCRv4 + layout + catalogue");
    expect(provider.label).toMatch(/^Offline analyzer/);
    // It does not think: the page hides its Depth control.
    expect(provider.depths).toEqual([]);
    expect(provider.defaultDepth).toBeUndefined();
  });

  it("streams the notice, then each section of the answer, then done", async () => {
    const { analyze, calls } = fakeAnalyze();
    const events = await collect(run(analyze));
    const sections = composeAnswer(clickstream(), TASK).slice(1);
    expect(events).toEqual([
      NOTICE_EVENT,
      ...sections.map((section) => ({ type: "delta", text: `${section}\n\n` })),
      { type: "done", finishReason: "stop" },
    ]);
    expect(sections.length).toBeGreaterThanOrEqual(5);
    expect(text(events).split(OFFLINE_NOTICE)).toHaveLength(2);
    expect(calls).toEqual([image.data]);
  });

  it("answers the task it is given", async () => {
    const events = await collect(run(fakeAnalyze().analyze, undefined, "List every component and its role"));
    expect(text(events)).toContain("| Component | Group | Kind | Role |");
    expect(text(events)).not.toContain("## Flow");
  });

  it("sends the notice before the analysis has finished", async () => {
    let finish!: (analysis: ImageAnalysis) => void;
    const analyze: AnalyzeFunction = () => new Promise((resolve) => (finish = resolve));
    const answer = (await run(analyze))[Symbol.asyncIterator]();
    expect(await answer.next()).toEqual({ done: false, value: NOTICE_EVENT });
    const next = answer.next();
    finish(clickstream());
    expect((await next).value).toMatchObject({ type: "delta", text: expect.stringMatching(/^## Overview/) });
  });

  it("answers a picture honestly through the same stream", async () => {
    const picture: ImageAnalysis = { ...clickstream(), isDiagram: false };
    const events = await collect(run(fakeAnalyze(picture).analyze, undefined, "what colour is the car?"));
    expect(events[0]).toEqual(NOTICE_EVENT);
    expect(text(events)).toContain("does not look like a diagram");
    expect(events.at(-1)).toEqual({ type: "done", finishReason: "stop" });
  });

  it("turns an analysis failure into a provider error, after the notice", async () => {
    const cause = new Error("The analysis thread stopped (exit code 1).");
    const { error, events } = await failure(run(() => Promise.reject(cause)));
    expect(events).toEqual([NOTICE_EVENT]);
    expect(error).toMatchObject({ code: "provider_error", status: 502 });
    expect(error.message).toBe("The offline analyzer could not read this image. Try another export of it.");
    expect(error.message).not.toContain("exit code");
    expect(error.cause).toBe(cause);
  });

  it("ends quietly when the request is aborted while the image is analysed", async () => {
    const controller = new AbortController();
    const analyze: AnalyzeFunction = async () => {
      controller.abort();
      return clickstream();
    };
    expect(await collect(run(analyze, controller.signal))).toEqual([NOTICE_EVENT]);
  });

  it("ends quietly, without an error, when the analysis fails because the request was aborted", async () => {
    const controller = new AbortController();
    const analyze: AnalyzeFunction = async () => {
      controller.abort();
      throw new Error("aborted");
    };
    expect(await collect(run(analyze, controller.signal))).toEqual([NOTICE_EVENT]);
  });

  it("stops between sections when the request is aborted mid-answer", async () => {
    const controller = new AbortController();
    const events: ProviderEvent[] = [];
    for await (const event of await run(fakeAnalyze().analyze, controller.signal)) {
      events.push(event);
      if (events.length === 2) controller.abort();
    }
    expect(events).toHaveLength(2);
    expect(events[0]).toEqual(NOTICE_EVENT);
    expect(events[1]).toMatchObject({ type: "delta", text: expect.stringMatching(/^## Overview/) });
  });
});

describe("offline provider: follow-up questions", () => {
  const earlier = (task: string): ConversationTurn => ({ task, answer: "(the answer the person read)" });

  it("answers “What does it connect to?” about the component the previous question named", async () => {
    const events = await collect(
      run(fakeAnalyze().analyze, undefined, "What does it connect to?", [earlier("What does Kinesis Streams do?")]),
    );
    expect(events[0]).toEqual(NOTICE_EVENT);
    expect(text(events)).toContain("## Kinesis Streams");
    expect(text(events)).toContain("It sends to: **Amazon S3**.");
    // That component's story, not the walk-through of the whole diagram.
    expect(text(events)).not.toContain("## Overview");
    expect(events.at(-1)).toEqual({ type: "done", finishReason: "stop" });
  });

  it("answers the same follow-up without history with what it can read, not a made-up component", async () => {
    const events = await collect(run(fakeAnalyze().analyze, undefined, "What does it connect to?"));
    expect(text(events)).not.toContain("## Kinesis Streams");
  });

  it("analyzes the image once per question and hands the history to the answer, not to the analyzer", async () => {
    const { analyze, calls } = fakeAnalyze();
    await collect(run(analyze, undefined, "What does it connect to?", [earlier("What does API Gateway do?")]));
    expect(calls).toEqual([image.data]);
  });
});

describe("offline provider: writing the answer", () => {
  it("lets other work on the server run between the sections of an answer", async () => {
    const marks: string[] = [];
    for await (const event of await run(fakeAnalyze().analyze)) {
      if (event.type !== "delta") continue;
      marks.push(event.text.split("\n")[0]!);
      if (marks.length === 2) setImmediate(() => marks.push("other work"));
    }
    expect(marks.slice(1, 4)).toEqual(["## Overview", "other work", expect.stringMatching(/^## Flow/)]);
  });

  it("cuts an answer short, and says so, when writing it outlasts the budget", async () => {
    const provider = createOfflineProvider(fakeAnalyze().analyze, { composeBudgetMs: 0 });
    const events = await collect(provider.analyze({ image, prompt: TASK, history: [], signal: new AbortController().signal }));
    expect(events).toEqual([NOTICE_EVENT, { type: "delta", text: `${CUT_SHORT_NOTE}\n\n` }, { type: "done", finishReason: "stop" }]);
  });

  it("writes the whole answer within the budget", async () => {
    const events = await collect(run(fakeAnalyze().analyze));
    expect(text(events)).not.toContain(CUT_SHORT_NOTE);
  });
});

describe("offline provider: admission and budgets", () => {
  it("says first that it read only part of an image whose OCR budget ran out, with how much", async () => {
    const partial: ImageAnalysis = { ...clickstream(), partialRead: { linesFound: 4263, linesRead: 76 } };
    const events = await collect(run(fakeAnalyze(partial).analyze));
    expect(events[0]).toEqual(NOTICE_EVENT);
    expect(events[1]).toEqual({ type: "delta", text: `${partialReadNotice({ linesFound: 4263, linesRead: 76 })}\n\n` });
    expect(text(events)).toContain("I read only part of this image.");
    expect(text(events)).toContain("I read 76 of the 4,263 lines of text I found");
    // The rest of the answer follows as usual.
    expect(text(events)).toContain("## Overview");
    expect(events.at(-1)).toEqual({ type: "done", finishReason: "stop" });
  });

  it("says nothing of the kind when every line was read", async () => {
    expect(text(await collect(run(fakeAnalyze().analyze)))).not.toContain("part of this image");
  });

  it("hands the analyzer the request's signal and its reserved queue place", async () => {
    const queue = createWorkQueue({ name: "test", concurrency: 1, maxWaiting: 0 });
    const slot = queue.reserve();
    const controller = new AbortController();
    const received: AnalyzeOptions[] = [];
    const analyze: AnalyzeFunction = async (_image, options = {}) => {
      received.push(options);
      return clickstream();
    };
    await collect(createOfflineProvider(analyze).analyze({ image, prompt: TASK, history: [], signal: controller.signal, analysisSlot: slot }));
    expect(received).toEqual([{ signal: controller.signal, slot }]);
  });

  it("keeps a full queue's 503 and Retry-After rather than blaming the image", async () => {
    const busy = new AppError("server_busy", 503, "The server is busy with other offline analysis work. Try again in 9 s.", 9);
    const { error, events } = await failure(run(() => Promise.reject(busy)));
    expect(events).toEqual([NOTICE_EVENT]);
    expect(error).toBe(busy);
  });
});
