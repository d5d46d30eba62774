import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpuHasInt8DotProducts } from "@/lib/offline/ocr/model-prep/int8-support";
import { convolutionParameters, quantizableConvolutions, quantizeConvolutions, type ActivationRanges } from "@/lib/offline/ocr/model-prep/quantize-model";
import { seededRandom } from "@/tests/helpers/random";

const { onnx } = onnxProto;

/**
 * Static int8 quantization on small models built here: which convolutions it quantizes, that
 * onnxruntime then runs them as QLinearConv, and that the answers stay within what 8 bits can
 * hold. The real recogniser is read quantized in recognition-model.test.ts.
 */

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INPUT = [1, 4, 8, 8];

const random = (seed: number) => {
  const next = seededRandom(seed);
  return () => next() * 2 - 1;
};
const randoms = (count: number, next: () => number, scale = 1) => Array.from({ length: count }, () => next() * scale);

function tensor(name: string, dims: number[], values: number[]) {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(new Float32Array(values).buffer) });
}
const ints = (name: string, values: number[]) => onnx.AttributeProto.create({ name, ints: values, type: onnx.AttributeProto.AttributeType.INTS });
const int = (name: string, value: number) => onnx.AttributeProto.create({ name, i: value, type: onnx.AttributeProto.AttributeType.INT });
const float = (name: string, value: number) => onnx.AttributeProto.create({ name, f: value, type: onnx.AttributeProto.AttributeType.FLOAT });
const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) =>
  onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });
const valueInfo = (name: string, dims: number[]) =>
  onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } } });

/**
 * x [1,4,8,8] → S: Conv 1×1 (4→4), the first layer → s → A: Conv 3×3 (4→8, pads 1) →
 * hard-swish → depthwise Conv 3×3 (group 8) → B: Conv 1×1 (8→8) → C: Conv 1×1 (8→4, no bias),
 * reading B's output directly; D: Conv 1×1 (4→4) reads s as A does; y = C + D. PP-LCNetV3's
 * pattern, a convolution reading another's output and a value read by two convolutions, at
 * `opset`. With `slice`, A reads s sliced (attributes, as opset 9 writes it) to its first 2
 * channels.
 */
function buildModel({ opset = 11, slice = false } = {}): Uint8Array {
  const next = random(3);
  const inputChannels = slice ? 2 : 4;
  const nodes = [
    node("Conv", ["x", "WS", "BS"], "s", [ints("kernel_shape", [1, 1])]),
    ...(slice ? [node("Slice", ["s"], "sliced", [ints("starts", [0]), ints("ends", [2]), ints("axes", [1])])] : []),
    node("Conv", [slice ? "sliced" : "s", "W1", "B1"], "c1", [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])]),
    node("HardSigmoid", ["c1"], "h1", [float("alpha", 1 / 6), float("beta", 0.5)]),
    node("Mul", ["c1", "h1"], "a1"),
    node("Conv", ["a1", "W2", "B2"], "c2", [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1]), int("group", 8)]),
    node("Conv", ["c2", "W3", "B3"], "c3", [ints("kernel_shape", [1, 1])]),
    node("Conv", ["c3", "W4"], "c4", [ints("kernel_shape", [1, 1])]),
    node("Conv", ["s", "W5"], "d", [ints("kernel_shape", [1, 1])]),
    node("Add", ["c4", "d"], "y"),
  ];
  const graph = onnx.GraphProto.create({
    name: "block",
    node: nodes,
    initializer: [
      tensor("WS", [4, 4, 1, 1], randoms(16, next, 0.5)),
      tensor("BS", [4], randoms(4, next)),
      tensor("W1", [8, inputChannels, 3, 3], randoms(8 * inputChannels * 9, next, 0.5)),
      tensor("B1", [8], randoms(8, next)),
      tensor("W2", [8, 1, 3, 3], randoms(72, next, 0.5)),
      tensor("B2", [8], randoms(8, next)),
      tensor("W3", [8, 8, 1, 1], randoms(64, next, 0.5)),
      tensor("B3", [8], randoms(8, next)),
      tensor("W4", [4, 8, 1, 1], randoms(32, next, 0.5)),
      tensor("W5", [4, 4, 1, 1], randoms(16, next, 0.5)),
    ],
    input: [valueInfo("x", INPUT)],
    output: [valueInfo("y", INPUT)],
  });
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: "", version: opset }], producerName: "test", graph })).finish();
}

const input = Float32Array.from(randoms(INPUT.reduce((a, b) => a * b), random(11), 2));

/** The model's named values on the test input, run by onnxruntime. */
async function run(bytes: Uint8Array, names = ["y"]): Promise<Record<string, Float32Array>> {
  const model = onnx.ModelProto.decode(bytes);
  const outputs = new Set(model.graph!.output!.map((output) => output.name));
  for (const name of names) if (!outputs.has(name)) model.graph!.output!.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: FLOAT } } }));
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  try {
    const results = await session.run({ x: new ort.Tensor("float32", input, INPUT) }, names);
    return Object.fromEntries(names.map((name) => [name, Float32Array.from(results[name]!.data as Float32Array)]));
  } finally {
    await session.release();
  }
}

/** Each value's range on the test input: a calibration of one sample. */
async function calibrate(bytes: Uint8Array, names: string[]): Promise<ActivationRanges> {
  const values = await run(bytes, names);
  return Object.fromEntries(names.map((name) => [name, [Math.min(...values[name]!), Math.max(...values[name]!)] as const]));
}

const largestDifference = (a: Float32Array, b: Float32Array) => a.reduce((largest, value, index) => Math.max(largest, Math.abs(value - b[index]!)), 0);
const spread = (values: Float32Array) => Math.max(...values) - Math.min(...values);
const graphOf = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!;
const initializer = (bytes: Uint8Array, name: string) => graphOf(bytes).initializer!.find((each) => each.name === name)!;

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), "quantize-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** The operators onnxruntime runs once it has optimised the model (written out, read back). */
async function optimisedOperators(bytes: Uint8Array): Promise<string[]> {
  const file = path.join(folder, `optimised-${Math.random().toString(36).slice(2)}.onnx`);
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "all", optimizedModelFilePath: file, logSeverityLevel: 3 });
  await session.release();
  return graphOf(new Uint8Array(await readFile(file))).node!.map((each) => each.opType!);
}

/**
 * Whether onnxruntime computes int8 convolutions exactly here: without VNNI, sums of u8 × s8
 * pairs may overflow 16 bits, so answers are compared only where the recogniser runs int8.
 */
const EXACT_INT8 = cpuHasInt8DotProducts();

describe("quantizeConvolutions", () => {
  const original = buildModel();
  const measured = ["x", "s", "c1", "a1", "c2", "c3", "c4", "d"];

  it("quantizes the ungrouped convolutions and leaves the depthwise one and the first layer float", async () => {
    const { model, convolutions } = quantizeConvolutions(original, await calibrate(original, measured));
    expect(convolutions).toBe(4);
    expect(quantizableConvolutions(original).map(({ output }) => output)).toEqual(["c1", "c3", "c4", "d"]);
    const graph = graphOf(model);
    const convolutionsOf = graph.node!.filter((each) => each.opType === "Conv");
    // The quantized convolutions read their weights through DequantizeLinear; the depthwise one
    // still reads its float weights.
    expect(convolutionsOf.map((each) => each.input![1])).toEqual(["WS", "c1_weight", "W2", "c3_weight", "c4_weight", "d_weight"]);
    expect(initializer(model, "W2").dataType).toBe(FLOAT);
    expect(initializer(model, "WS").dataType).toBe(FLOAT);
    expect(initializer(model, "c1_weight_quantized").dataType).toBe(onnx.TensorProto.DataType.INT8);
    // The float weights it replaced are gone.
    expect(graph.initializer!.some((each) => ["W1", "W3", "W4", "W5"].includes(each.name!))).toBe(false);
  });

  it("quantizes s once for both convolutions that read it, and lets C read B's dequantized output", async () => {
    const { model } = quantizeConvolutions(original, await calibrate(original, measured));
    const graph = graphOf(model);
    expect(graph.node!.filter((each) => each.opType === "QuantizeLinear" && each.input![0] === "s")).toHaveLength(1);
    const reading = (output: string) => graph.node!.find((each) => each.opType === "Conv" && each.output![0] === `${output}_float`)!.input![0];
    expect([reading("c1"), reading("d")]).toEqual(["s_dequantized", "s_dequantized"]);
    expect(reading("c4")).toBe("c3");
    expect(graph.node!.find((each) => each.output![0] === "c3")!.opType).toBe("DequantizeLinear");
  });

  it("is run by onnxruntime as QLinearConv", async () => {
    const { model } = quantizeConvolutions(original, await calibrate(original, measured));
    const operators = await optimisedOperators(model);
    expect(operators.filter((each) => each === "QLinearConv")).toHaveLength(4);
    expect(await optimisedOperators(original)).not.toContain("QLinearConv");
  });

  it.runIf(EXACT_INT8)("computes what the float model computes, within the error of 8 bits", async () => {
    const { model } = quantizeConvolutions(original, await calibrate(original, measured));
    const [{ y: before }, { y: after }] = [await run(original), await run(model)];
    const difference = largestDifference(before!, after!);
    // Not the float model again: the answer moved, but by a few steps of 8 bits at most.
    expect(difference).toBeGreaterThan(0);
    expect(difference).toBeLessThan(0.03 * spread(before!));
  });

  it("keeps the weights within ±127, each channel's largest at the limit", async () => {
    const { model } = quantizeConvolutions(original, await calibrate(original, measured));
    const weights = new Int8Array(new Uint8Array(initializer(model, "c1_weight_quantized").rawData!).slice().buffer);
    const perChannel = weights.length / 8;
    for (let channel = 0; channel < 8; channel++) {
      const channelWeights = Array.from(weights.subarray(channel * perChannel, (channel + 1) * perChannel), Math.abs);
      expect(Math.max(...channelWeights)).toBe(127);
    }
  });

  it("leaves float a convolution whose output range was not measured", async () => {
    const ranges = await calibrate(original, measured.filter((name) => name !== "d"));
    const { model, convolutions } = quantizeConvolutions(original, ranges);
    expect(convolutions).toBe(3);
    expect(graphOf(model).node!.filter((each) => each.opType === "Conv").map((each) => each.input![1])).toEqual(["WS", "c1_weight", "W2", "c3_weight", "c4_weight", "W5"]);
  });

  it.runIf(EXACT_INT8)("raises an opset 9 model to 10, its Slice's attributes made inputs", async () => {
    const opset9 = buildModel({ opset: 9, slice: true });
    const ranges = await calibrate(opset9, [...measured, "sliced"]);
    const { model, convolutions } = quantizeConvolutions(opset9, ranges);
    expect(convolutions).toBe(4);
    const decoded = onnx.ModelProto.decode(model);
    expect(Number(decoded.opsetImport!.find((entry) => !entry.domain)!.version)).toBe(10);
    const slice = decoded.graph!.node!.find((each) => each.opType === "Slice")!;
    expect(slice.attribute).toEqual([]);
    expect(slice.input).toEqual(["s", "sliced_starts", "sliced_ends", "sliced_axes"]);
    const [{ y: before }, { y: after }] = [await run(opset9), await run(model)];
    expect(largestDifference(before!, after!)).toBeLessThan(0.03 * spread(before!));
  });

  it("refuses an opset 9 model with an operator it cannot carry to opset 10", () => {
    const model = onnx.ModelProto.decode(buildModel({ opset: 9 }));
    model.graph!.node!.push(node("Upsample", ["y", "scales"], "up"));
    expect(() => quantizeConvolutions(onnx.ModelProto.encode(model).finish(), {})).toThrow(/Upsample/);
  });

  it("refuses to give a new value a name the model already uses", async () => {
    const model = onnx.ModelProto.decode(original);
    model.graph!.node!.push(node("Identity", ["y"], "c1_weight"));
    const ranges = await calibrate(original, measured);
    expect(() => quantizeConvolutions(onnx.ModelProto.encode(model).finish(), ranges)).toThrow(/"c1_weight", which the model already uses/);
  });
});

describe("quantizeConvolutions: channels whose weights are all but zero", () => {
  /**
   * x → Identity → Conv 1×1 (4→3) → y, channel 0 with zero weights, channel 1 with weights of
   * 1e-40 (as batch normalization leaves some), channel 2 ordinary; each with a bias.
   */
  const weights = [0, 0, 0, 0, 1e-40, -1e-40, 1e-40, 1e-40, 0.3, -0.2, 0.5, 0.1];
  const bias = [-0.8, 0.5, 0.3];
  const graph = onnx.GraphProto.create({
    name: "dead-channels",
    node: [node("Identity", ["x"], "i"), node("Conv", ["i", "W", "B"], "y", [ints("kernel_shape", [1, 1])])],
    initializer: [tensor("W", [3, 4, 1, 1], weights), tensor("B", [3], bias)],
    input: [valueInfo("x", INPUT)],
    output: [valueInfo("y", [1, 3, 8, 8])],
  });
  const model = onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: "", version: 11 }], producerName: "test", graph })).finish();

  it.runIf(EXACT_INT8)("keeps their bias: the output is the bias, to within a step of the output's 8 bits", async () => {
    const ranges = await calibrate(model, ["i", "y"]);
    const { model: quantized } = quantizeConvolutions(model, ranges);
    const { y } = await run(quantized);
    const step = (ranges.y![1] - Math.min(0, ranges.y![0])) / 255;
    const plane = 64;
    for (const channel of [0, 1]) {
      for (const value of y!.subarray(channel * plane, (channel + 1) * plane)) expect(Math.abs(value - bias[channel]!)).toBeLessThanOrEqual(step);
    }
  });

  it("writes every int32 bias far from overflow", () => {
    const { bias: quantizedBias, weights: quantizedWeights } = convolutionParameters(Float32Array.from(weights), 3, Float32Array.from(bias), 0.01);
    for (const value of quantizedBias!) expect(Math.abs(value)).toBeLessThanOrEqual(2 ** 30);
    // The 1e-40 weights are rounded away; the ordinary channel keeps its largest at 127.
    expect(Array.from(quantizedWeights.subarray(0, 8))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Math.max(...Array.from(quantizedWeights.subarray(8), Math.abs))).toBe(127);
  });
});
