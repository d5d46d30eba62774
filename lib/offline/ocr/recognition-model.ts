import "server-only";
import { createHash } from "node:crypto";
import type * as ort from "onnxruntime-node";
import { z } from "zod";
import { cpuHasInt8DotProducts } from "@/lib/offline/ocr/model-prep/int8-support";
import { quantizeConvolutions } from "@/lib/offline/ocr/model-prep/quantize-model";
import { simplifyModel } from "@/lib/offline/ocr/model-prep/simplify-model";
import { createTextRecognizer, type TextRecognizer } from "@/lib/offline/ocr/text-recognizer";
import calibrationJson from "./model-prep/recognizer-calibration.json";

/** `int8`: the recogniser's convolutions quantized (the default); `float`: as shipped, simplified. */
export type RecognitionPrecision = "int8" | "float";

/**
 * The activation ranges of the simplified PP-OCRv4 recogniser, measured by
 * `npm run calibrate:ocr` on diagrams that script draws. `graphSha256` is the simplified
 * model's, on which they were measured: a new model file or a change to simplify-model.ts
 * changes it, and the ranges no longer apply.
 */
const Calibration = z.object({
  model: z.string(),
  graphSha256: z.string().regex(/^[0-9a-f]{64}$/),
  measuredOn: z.string(),
  ranges: z.record(z.string(), z.tuple([z.number(), z.number()])),
});

export const RECOGNIZER_CALIBRATION = Calibration.parse(calibrationJson);

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The text recogniser to run, from the shipped model file's bytes, and what it is ("int8 (…
 * convolutions)", "float"). On CPUs with int8 dot products, int8 is the default because it
 * recognises faster and reads the evaluation fixtures about as well as float (compare
 * bench/results/eval-offline.md with eval-offline-float.md, and the int8 and float columns of
 * bench/results/offline-latency.md). It runs float on other CPUs, and, saying so in the log, for
 * a model it has no calibration for or if quantizing fails: the analyzer then works as before.
 */
export async function createRecognizer(
  source: Uint8Array,
  dictionary: readonly string[],
  { precision = "int8", session, onInput }: { precision?: RecognitionPrecision; session: ort.InferenceSession.SessionOptions; onInput?: (input: ort.Tensor) => void },
): Promise<{ recognizer: TextRecognizer; description: string }> {
  const simplified = simplifyModel(source).model;
  const float = async (description: string) => ({ recognizer: await createTextRecognizer(simplified, dictionary, session, onInput), description });
  if (precision === "float") return float("float");
  if (sha256(simplified) !== RECOGNIZER_CALIBRATION.graphSha256) {
    console.warn(`The OCR recogniser is not the ${RECOGNIZER_CALIBRATION.model} calibrated for int8 (run npm run calibrate:ocr): it runs in float.`);
    return float("float (no calibration for this model)");
  }
  if (!cpuHasInt8DotProducts()) return float("float (no int8 dot products on this CPU)");
  try {
    const { model, convolutions } = quantizeConvolutions(simplified, RECOGNIZER_CALIBRATION.ranges);
    return { recognizer: await createTextRecognizer(model, dictionary, session, onInput), description: `int8 (${convolutions} convolutions)` };
  } catch (error) {
    console.warn(`The int8 OCR recogniser could not be made (${error instanceof Error ? error.message : String(error)}): it runs in float.`);
    return float("float (int8 failed)");
  }
}
