import "server-only";
import { AppError } from "@/lib/shared/errors";
import { answerSections, createWorkerAnalyzer, OFFLINE_NOTICE, type AnalyzeFunction, type ImageAnalysis, type Section } from "@/lib/offline";
import type { AnalysisInput, Provider, ProviderEvent } from "@/lib/providers/types";

/**
 * How long an answer may take to write, on the thread that serves every request. Answers are
 * bounded in size and take a small fraction of this; the budget is the last guard should some
 * reading still make one slow, and it cuts the answer short rather than the server's other work.
 */
const COMPOSE_BUDGET_MS = 1_000;

/** Said when the budget ran out before the last section. */
export const CUT_SHORT_NOTE = "*The rest of this answer was left out: it took too long to write.*";

export interface OfflineProviderOptions {
  /** The writing budget, in ms; tests shorten it. */
  composeBudgetMs?: number;
}

/**
 * The built-in analyzer: OCR, layout and a catalogue of cloud services, on this machine, with no
 * key and no network. Not a language model, and every answer says so in its first line.
 */
export function createOfflineProvider(
  analyze: AnalyzeFunction = createWorkerAnalyzer(),
  { composeBudgetMs = COMPOSE_BUDGET_MS }: OfflineProviderOptions = {},
): Provider {
  return {
    id: "offline",
    model: "PP-OCRv4 + layout + catalogue",
    label: "Offline analyzer · no model, nothing leaves the server",
    depths: [],
    // Nothing to connect to: the answer starts at once.
    analyze: async (input) => answer(input),
  };

  async function* answer({ image, prompt, history, signal, analysisSlot }: AnalysisInput): AsyncGenerator<ProviderEvent> {
    // The notice, the first line of every offline answer, goes out at once; the analysis takes a
    // second or two. Follow-ups about the same image reuse its analysis, which the analyzer keeps.
    yield { type: "delta", text: `${OFFLINE_NOTICE}\n\n` };
    let analysis: ImageAnalysis;
    let sections: Section[];
    try {
      analysis = await analyze(image.data, { signal, slot: analysisSlot });
      sections = answerSections(analysis, prompt, history);
    } catch (error) {
      if (signal.aborted) return;
      // A full queue is the server's state, not the image's fault: it keeps its status and Retry-After.
      if (error instanceof AppError && error.code === "server_busy") throw error;
      throw unreadable(error);
    }
    const started = performance.now();
    // Said before the answer it qualifies; the budget below only ever cuts the answer.
    const { partialRead } = analysis;
    if (partialRead) {
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) return;
      yield { type: "delta", text: `${partialReadNotice(partialRead)}\n\n` };
    }
    for (const section of sections) {
      // A turn of the event loop before each section: requests that arrived meanwhile are served
      // between the sections of a long answer, not after all of them.
      await new Promise((resolve) => setImmediate(resolve));
      if (signal.aborted) return;
      if (performance.now() - started >= composeBudgetMs) {
        yield { type: "delta", text: `${CUT_SHORT_NOTE}\n\n` };
        break;
      }
      let text: string | null;
      try {
        text = section();
      } catch (error) {
        throw unreadable(error);
      }
      if (text !== null) yield { type: "delta", text: `${text}\n\n` };
    }
    yield { type: "done", finishReason: "stop" };
  }
}

function unreadable(error: unknown): AppError {
  return new AppError("provider_error", "The offline analyzer could not read this image. Try another export of it.", { cause: error });
}

/**
 * Said before anything else when the OCR budget ran out: an answer about part of an image must not
 * read as an answer about all of it.
 */
export function partialReadNotice({ linesFound, linesRead }: NonNullable<ImageAnalysis["partialRead"]>): string {
  return (
    `**I read only part of this image.** It holds more text than the offline analyzer reads in one image: ` +
    `I read ${linesRead.toLocaleString("en")} of the ${linesFound.toLocaleString("en")} lines of text I found, the widest first, ` +
    `so what follows leaves the rest out. A crop of the part you are asking about reads in full.`
  );
}
