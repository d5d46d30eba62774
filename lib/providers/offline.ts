import { AppError } from "@/lib/errors";
import { createWorkerAnalyzer, type AnalyzeFunction } from "@/lib/offline/analyzer";
import { composeAnswer, OFFLINE_NOTICE } from "@/lib/offline/answer/compose-answer";
import type { ImageAnalysis } from "@/lib/offline/analyze-image";
import type { AnalysisInput, Provider, ProviderEvent } from "@/lib/providers/types";

/**
 * The built-in analyzer: OCR, layout and a catalogue of cloud services, on this machine, with no
 * key and no network. Not a language model, and every answer says so in its first line.
 */
export function createOfflineProvider(analyze: AnalyzeFunction = createWorkerAnalyzer()): Provider {
  return {
    id: "offline",
    model: "PP-OCRv4 + layout + catalogue",
    label: "Offline analyzer · no model, nothing leaves the server",
    depths: [],
    // Nothing to connect to: the answer starts at once.
    analyze: async (input) => answer(input),
  };

  async function* answer({ image, prompt, history, signal, analysisSlot }: AnalysisInput): AsyncGenerator<ProviderEvent> {
    // The notice goes out at once; the analysis takes a second or two. Follow-ups about the same
    // image reuse its analysis, which the analyzer keeps.
    yield { type: "delta", text: `${OFFLINE_NOTICE}\n\n` };
    let sections: string[];
    try {
      const analysis = await analyze(image.data, { signal, slot: analysisSlot });
      sections = composeAnswer(analysis, prompt, history);
      // The notice already went out (and is dropped below): this comes right after it.
      if (analysis.partialRead) sections = [partialReadNotice(analysis.partialRead), ...sections];
    } catch (error) {
      if (signal.aborted) return;
      // A full queue is the server's state, not the image's fault: it keeps its status and Retry-After.
      if (error instanceof AppError && error.code === "server_busy") throw error;
      throw new AppError("provider_error", 502, "The offline analyzer could not read this image. Try another export of it.", undefined, {
        cause: error,
      });
    }
    for (const section of sections.filter((text) => text !== OFFLINE_NOTICE)) {
      if (signal.aborted) return;
      yield { type: "delta", text: `${section}\n\n` };
    }
    yield { type: "done", finishReason: "stop" };
  }
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
