import "server-only";
import * as ort from "onnxruntime-node";
import { addBestClassOutputs, BEST_CLASS, BEST_PROBABILITY } from "@/lib/offline/ocr/model-prep/best-class-outputs";
import { decodeBestPath, decodeCtc, type DecodedLine } from "@/lib/offline/ocr/ctc-decode";
import type { Box } from "@/lib/offline/types";

/** A one-channel (grey) image as raw pixels. */
export interface GreyImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Reads lines of text: each box of an image holds one. */
export interface TextRecognizer {
  /**
   * One reading per box, in order. With `only`, each line is read as made of those characters
   * alone. Lines are read in batches, widest first: once the clock passes `until` no further batch
   * starts and the lines not reached stay undefined; an aborted `signal` stops it with its reason.
   */
  read(image: GreyImage, boxes: readonly Box[], options?: RecognitionOptions): Promise<Array<DecodedLine | undefined>>;
  close(): Promise<void>;
}

export interface RecognitionOptions {
  only?: string;
  /** Stops the reading between two batches: a run of the model cannot be interrupted safely. */
  signal?: AbortSignal;
  /** When, as a Date.now() time, to stop starting batches. */
  until?: number;
}

/** The PP-OCR recogniser reads lines scaled to 48 px high, at least 8 px wide. */
const LINE_HEIGHT = 48;
const MIN_WIDTH = 8;
/**
 * Lines read in one run: four lines of similar width take less time together than one by one,
 * and six, eight or sixteen were no faster (docs/offline-analyzer.md, "What took latency down";
 * the whole analysis's time: bench/results/offline-latency.md).
 */
export const RECOGNITION_BATCH_LINES = 4;
/** What a shorter line is padded with in its batch: 0 is mid-grey once scaled, as PaddleOCR pads. */
const PADDING = 0;
/** A line joins a batch only if it is at least this share of the batch's widest: padding is work too. */
const SIMILAR_WIDTH = 0.75;

/**
 * PP-OCRv4 recognition on onnxruntime. Lines are read in batches of similar width, so that
 * little of a batch is padding; each line is decoded over the time steps its own width covers
 * (rounded up, so at most one step of padding). The model's attention does see the padding, so
 * a line read in a batch can differ slightly from the same line read alone, as in PaddleOCR's
 * own batched recognition.
 */
export async function createTextRecognizer(
  model: Uint8Array,
  dictionary: readonly string[],
  options: ort.InferenceSession.SessionOptions,
  /** Sees each batch's input before it runs: what the int8 recogniser's calibration measures. */
  onInput?: (input: ort.Tensor) => void,
): Promise<TextRecognizer> {
  const session = await ort.InferenceSession.create(addBestClassOutputs(model), options);
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const classesOf = (characters: string) => [...characters].map((character) => dictionary.indexOf(character)).filter((index) => index > 0);

  return {
    async read(image, boxes, { only, signal, until = Number.POSITIVE_INFINITY } = {}) {
      const allowed = only ? classesOf(only) : undefined;
      if (allowed?.length === 0) throw new Error(`The recogniser knows none of the characters "${only}".`);
      const lines = boxes.map((box) => lineCrop(image, box));
      const readings: Array<DecodedLine | undefined> = new Array(lines.length).fill(undefined);
      let batchesRun = 0;
      for (const batch of similarWidths(lines.map((line) => line.width))) {
        signal?.throwIfAborted();
        // The first batch always runs: on a machine slow enough to spend the budget on detection,
        // an answer that read nothing would be worse than one that read a few lines.
        if (batchesRun > 0 && Date.now() >= until) break;
        batchesRun++;
        const width = lines[batch[0]!]!.width;
        const tensor = batchTensor(image, batch.map((index) => lines[index]!), width);
        onInput?.(tensor);
        // The likeliest class per step is all a free read needs; a read within `only` needs
        // every class's probability.
        const results = await session.run({ [input!]: tensor }, allowed ? [output!] : [BEST_CLASS, BEST_PROBABILITY]);
        batch.forEach((index, position) => {
          const ownWidth = lines[index]!.width;
          if (allowed) {
            const [, steps, classes] = results[output!]!.dims as [number, number, number];
            const ownSteps = Math.min(steps, Math.ceil((steps * ownWidth) / width));
            readings[index] = decodeCtc(results[output!]!.data as Float32Array, position * steps * classes, ownSteps, classes, dictionary, allowed);
          } else {
            const [, steps] = results[BEST_CLASS]!.dims as [number, number];
            const [from, to] = [position * steps, position * steps + Math.min(steps, Math.ceil((steps * ownWidth) / width))];
            const best = (results[BEST_CLASS]!.data as Int32Array).subarray(from, to);
            readings[index] = decodeBestPath(best, (results[BEST_PROBABILITY]!.data as Float32Array).subarray(from, to), dictionary);
          }
        });
        for (const result of Object.values(results)) result.dispose();
      }
      return readings;
    },
    close: () => session.release(),
  };
}

/** Where a box's line comes from in the image (clamped to it), and how wide it is once scaled. */
interface LineCrop {
  left: number;
  top: number;
  cropWidth: number;
  cropHeight: number;
  /** The line's width at the model's line height, its shape kept. */
  width: number;
}

function lineCrop(image: GreyImage, box: Box): LineCrop {
  // Both edges are clamped, so a box hanging over the image keeps only its part inside it.
  const left = clamp(Math.round(box.x), 0, image.width - 1);
  const top = clamp(Math.round(box.y), 0, image.height - 1);
  const cropWidth = Math.max(1, clamp(Math.round(box.x + box.width), 0, image.width) - left);
  const cropHeight = Math.max(1, clamp(Math.round(box.y + box.height), 0, image.height) - top);
  return { left, top, cropWidth, cropHeight, width: Math.max(MIN_WIDTH, Math.round((LINE_HEIGHT * cropWidth) / cropHeight)) };
}

/**
 * The model's input for the box: the crop scaled to the line height with its shape kept
 * (bilinear, as OpenCV's INTER_LINEAR samples), scaled from 0–255 to −1–1, in three identical
 * channels.
 */
export function lineTensor(image: GreyImage, box: Box): { tensor: Float32Array; width: number } {
  const crop = lineCrop(image, box);
  const plane = LINE_HEIGHT * crop.width;
  const tensor = new Float32Array(3 * plane);
  writeLine(image, crop, tensor, 0, crop.width);
  tensor.copyWithin(plane, 0, plane);
  tensor.copyWithin(2 * plane, 0, plane);
  return { tensor, width: crop.width };
}

/**
 * Writes one channel of a line into `target` from `offset`, `rowStride` values a row. Done here
 * in one pass rather than with sharp: a hundred small crops each crossing to sharp's thread pool
 * and back cost more than the arithmetic.
 */
function writeLine(image: GreyImage, crop: LineCrop, target: Float32Array, offset: number, rowStride: number): void {
  const { left, top, cropWidth, cropHeight, width } = crop;
  const [scaleX, scaleY] = [cropWidth / width, cropHeight / LINE_HEIGHT];
  for (let y = 0; y < LINE_HEIGHT; y++) {
    const sourceY = clamp((y + 0.5) * scaleY - 0.5, 0, cropHeight - 1);
    const y0 = Math.floor(sourceY);
    const y1 = Math.min(y0 + 1, cropHeight - 1);
    const fy = sourceY - y0;
    const [row0, row1] = [(top + y0) * image.width + left, (top + y1) * image.width + left];
    for (let x = 0; x < width; x++) {
      const sourceX = clamp((x + 0.5) * scaleX - 0.5, 0, cropWidth - 1);
      const x0 = Math.floor(sourceX);
      const x1 = Math.min(x0 + 1, cropWidth - 1);
      const fx = sourceX - x0;
      const upper = image.data[row0 + x0]! * (1 - fx) + image.data[row0 + x1]! * fx;
      const lower = image.data[row1 + x0]! * (1 - fx) + image.data[row1 + x1]! * fx;
      target[offset + y * rowStride + x] = (upper * (1 - fy) + lower * fy) / 127.5 - 1;
    }
  }
}

/** The lines' indices in batches: widest first, each batch as wide as its first line. */
function similarWidths(widths: readonly number[]): number[][] {
  const order = widths.map((_, index) => index).sort((a, b) => widths[b]! - widths[a]!);
  const batches: number[][] = [];
  for (let next = 0; next < order.length; ) {
    const batch = [order[next++]!];
    const widest = widths[batch[0]!]!;
    while (batch.length < RECOGNITION_BATCH_LINES && next < order.length && widths[order[next]!]! >= widest * SIMILAR_WIDTH) batch.push(order[next++]!);
    batches.push(batch);
  }
  return batches;
}

/** Lines of the model's input shape side by side in one tensor, each padded on the right to `width`. */
function batchTensor(image: GreyImage, lines: readonly LineCrop[], width: number): ort.Tensor {
  const plane = LINE_HEIGHT * width;
  const data = new Float32Array(lines.length * 3 * plane).fill(PADDING);
  lines.forEach((line, position) => {
    const start = position * 3 * plane;
    writeLine(image, line, data, start, width);
    data.copyWithin(start + plane, start, start + plane);
    data.copyWithin(start + 2 * plane, start, start + plane);
  });
  return new ort.Tensor("float32", data, [lines.length, 3, LINE_HEIGHT, width]);
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
