import * as ort from "onnxruntime-node";
import { decodeCtc, type DecodedLine } from "@/lib/offline/ocr/ctc-decode";
import type { Box } from "@/lib/offline/types";

/** A one-channel (grey) image as raw pixels. */
export interface GreyImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Reads the single line of text in a box of an image. */
export interface TextRecognizer {
  /** With `only`, the line is read as made of those characters alone. */
  read(image: GreyImage, box: Box, options?: { only?: string }): Promise<DecodedLine>;
  close(): Promise<void>;
}

/** The PP-OCR recogniser reads lines scaled to 48 px high, at least 8 px wide. */
const LINE_HEIGHT = 48;
const MIN_WIDTH = 8;

/**
 * PP-OCRv4 recognition on onnxruntime, one crop a run: batching crops into one run was measured
 * and is no faster for this model on CPU.
 */
export async function createTextRecognizer(
  model: Uint8Array,
  dictionary: readonly string[],
  options: ort.InferenceSession.SessionOptions,
): Promise<TextRecognizer> {
  const session = await ort.InferenceSession.create(model, options);
  const [input] = session.inputNames;
  const [output] = session.outputNames;
  const classesOf = (characters: string) => [...characters].map((character) => dictionary.indexOf(character)).filter((index) => index > 0);

  return {
    async read(image, box, { only } = {}) {
      const { tensor, width } = lineTensor(image, box);
      const feed = new ort.Tensor("float32", tensor, [1, 3, LINE_HEIGHT, width]);
      const results = await session.run({ [input!]: feed });
      const probabilities = results[output!]!;
      const [, steps, classes] = probabilities.dims as [number, number, number];
      const line = decodeCtc(probabilities.data as Float32Array, 0, steps, classes, dictionary, only ? classesOf(only) : undefined);
      probabilities.dispose();
      return line;
    },
    close: () => session.release(),
  };
}

/**
 * The model's input for the box: the crop scaled to the line height with its shape kept
 * (bilinear, as OpenCV's INTER_LINEAR samples), scaled from 0–255 to −1–1, in three identical
 * channels. Written here in one pass rather than with sharp, because a hundred small crops each
 * crossing to sharp's thread pool and back cost more than the arithmetic.
 */
export function lineTensor(image: GreyImage, box: Box): { tensor: Float32Array; width: number } {
  const left = clamp(Math.round(box.x), 0, image.width - 1);
  const top = clamp(Math.round(box.y), 0, image.height - 1);
  const cropWidth = clamp(Math.round(box.width), 1, image.width - left);
  const cropHeight = clamp(Math.round(box.height), 1, image.height - top);
  const width = Math.max(MIN_WIDTH, Math.round((LINE_HEIGHT * cropWidth) / cropHeight));
  const plane = LINE_HEIGHT * width;
  const tensor = new Float32Array(3 * plane);
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
      tensor[y * width + x] = (upper * (1 - fy) + lower * fy) / 127.5 - 1;
    }
  }
  tensor.copyWithin(plane, 0, plane);
  tensor.copyWithin(2 * plane, 0, plane);
  return { tensor, width };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
