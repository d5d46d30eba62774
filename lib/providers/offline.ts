import { AppError } from "@/lib/errors";
import { createWorkerAnalyzer, type AnalyzeFunction } from "@/lib/offline/analyzer";
import { composeAnswer, OFFLINE_NOTICE } from "@/lib/offline/answer/compose-answer";
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

  async function* answer({ image, prompt, history, signal }: AnalysisInput): AsyncGenerator<ProviderEvent> {
    // The notice goes out at once; the analysis takes a second or two. Follow-ups about the same
    // image reuse its analysis, which the analyzer keeps.
    yield { type: "delta", text: `${OFFLINE_NOTICE}\n\n` };
    let sections: string[];
    try {
      sections = composeAnswer(await analyze(image.data), prompt, history);
    } catch (error) {
      if (signal.aborted) return;
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
