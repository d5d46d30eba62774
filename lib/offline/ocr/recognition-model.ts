import { createHash } from "node:crypto";
import { z } from "zod";
import { int8WeightBits } from "@/lib/offline/ocr/int8-support";
import { quantizeConvolutions } from "@/lib/offline/ocr/quantize-model";
import { simplifyModel } from "@/lib/offline/ocr/simplify-model";
import calibrationJson from "./recognizer-calibration.json";

/** `int8`: the recogniser's convolutions quantized (the default); `float`: as shipped, simplified. */
export type RecognitionPrecision = "int8" | "float";

export interface RecognitionModel {
  model: Uint8Array;
  /** What runs, for logs and benchmark reports: "int8 (24 convolutions, 8-bit weights)". */
  description: string;
}

/**
 * The activation ranges of the simplified PP-OCRv4 recogniser, measured by
 * `npm run calibrate:ocr` on diagrams that script draws; `sha256` is the shipped model's, which
 * the ranges belong to.
 */
const Calibration = z.object({
  model: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  ranges: z.record(z.string(), z.tuple([z.number(), z.number()])),
});

export const RECOGNIZER_CALIBRATION = Calibration.parse(calibrationJson);

/**
 * The recogniser to run, from the shipped model file's bytes. int8 is about a third faster on
 * recognition and reads the evaluation diagrams as well (README, "Offline analyzer"); it falls
 * back to float if the model is not the one calibrated.
 */
export function recognitionModel(source: Uint8Array, precision: RecognitionPrecision = "int8"): RecognitionModel {
  const simplified = simplifyModel(source).model;
  if (precision === "float") return { model: simplified, description: "float" };
  if (createHash("sha256").update(source).digest("hex") !== RECOGNIZER_CALIBRATION.sha256) {
    console.warn(`The OCR recogniser is not the ${RECOGNIZER_CALIBRATION.model} calibrated for int8: it runs in float.`);
    return { model: simplified, description: "float (no calibration for this model)" };
  }
  const weightBits = int8WeightBits();
  const { model, convolutions } = quantizeConvolutions(simplified, RECOGNIZER_CALIBRATION.ranges, { weightBits });
  return { model, description: `int8 (${convolutions} convolutions, ${weightBits}-bit weights)` };
}
