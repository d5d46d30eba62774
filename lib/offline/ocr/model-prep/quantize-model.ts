import "server-only";
import onnxProto from "onnx-proto";
import { floats, namedTensors, removeUnread } from "@/lib/offline/ocr/model-prep/onnx-graph";

const { onnx } = onnxProto;
type Graph = onnxProto.onnx.IGraphProto;
type Model = onnxProto.onnx.IModelProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

/** Each activation's smallest and largest value over a calibration set, by tensor name. */
export type ActivationRanges = Readonly<Record<string, readonly [number, number]>>;

export interface Quantization {
  model: Uint8Array;
  /** How many convolutions now run in int8. */
  convolutions: number;
}

/**
 * Static int8 quantization of a model's convolutions, written in ONNX's QDQ form: each
 * quantizable convolution (see quantizableConvolutions) whose input and output ranges were
 * measured gets QuantizeLinear → DequantizeLinear on its input and output, per-channel int8
 * weights and int32 bias behind DequantizeLinear. onnxruntime fuses each such pattern into one
 * QLinearConv (u8 activations × s8 weights), which on CPUs with int8 dot products (VNNI) runs the
 * PP-OCRv4 recogniser's 1×1 convolutions faster than float; everything else stays float.
 * Depthwise (grouped) convolutions stay float: quantized, the recogniser ran slower
 * (docs/offline-analyzer.md, "int8" and "Tried and not kept"; today's latency:
 * bench/results/offline-latency.md).
 * Weights use all 8 bits, which only CPUs with VNNI sum without overflow (int8-support.ts).
 */
export function quantizeConvolutions(bytes: Uint8Array, ranges: ActivationRanges): Quantization {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const name = freshNames(graph);
  raiseOpset(model, 10, name);
  // onnxruntime's own Q/DQ operators take a per-channel axis at any opset; ONNX's from 13 only.
  if (!model.opsetImport!.some((entry) => entry.domain === MICROSOFT)) model.opsetImport!.push({ domain: MICROSOFT, version: 1 });
  const tensors = namedTensors(graph);
  const measured = new Set(quantizable(graph, tensors).filter(({ input, output }) => ranges[input] && ranges[output]).map(({ node }) => node));
  const quantized = new Map<string, QuantizedValue>();
  const nodes: Node[] = [];

  /** A float value as u8 and back, once however many convolutions read it. */
  const dequantizedInput = (value: string): QuantizedValue => {
    const existing = quantized.get(value);
    if (existing) return existing;
    const parameters = activationParameters(graph, value, ranges[value]!, name(`${value}_dequantized`), name);
    const quantizedName = name(`${value}_quantized`);
    nodes.push(
      qdq("QuantizeLinear", [value, parameters.scale, parameters.zeroPoint], quantizedName),
      qdq("DequantizeLinear", [quantizedName, parameters.scale, parameters.zeroPoint], parameters.dequantized),
    );
    quantized.set(value, parameters);
    return parameters;
  };

  for (const node of graph.node ?? []) {
    if (!measured.has(node)) {
      nodes.push(node);
      continue;
    }
    const [x, weightsName, biasName] = node.input as [string, string, string | undefined];
    const y = node.output![0]!;
    const input = dequantizedInput(x);
    const weights = tensors.get(weightsName)!;
    const bias = biasName ? floats(tensors.get(biasName)!) : null;
    const parameters = convolutionParameters(floats(weights), Number(weights.dims![0]), bias, input.scaleValue);
    const weightsDequantized = name(`${y}_weight`);
    nodes.push(
      perChannel(graph, weightsDequantized, name, onnx.TensorProto.create({ dims: weights.dims, dataType: onnx.TensorProto.DataType.INT8, rawData: bytesOf(parameters.weights) }), parameters.weightScales),
    );
    const inputs = [input.dequantized, weightsDequantized];
    if (parameters.bias) {
      const biasDequantized = name(`${y}_bias`);
      const biasScales = parameters.weightScales.map((scale) => scale * input.scaleValue);
      nodes.push(perChannel(graph, biasDequantized, name, onnx.TensorProto.create({ dims: [parameters.bias.length], dataType: onnx.TensorProto.DataType.INT32, rawData: bytesOf(parameters.bias) }), biasScales));
      inputs.push(biasDequantized);
    }
    // The convolution's own output becomes `${y}_float`; its readers get it through u8 as `y`.
    const [floatOutput, quantizedOutput] = [name(`${y}_float`), name(`${y}_quantized`)];
    const output = activationParameters(graph, y, ranges[y]!, y, name);
    nodes.push(
      onnx.NodeProto.create({ ...node, input: inputs, output: [floatOutput] }),
      qdq("QuantizeLinear", [floatOutput, output.scale, output.zeroPoint], quantizedOutput),
      qdq("DequantizeLinear", [quantizedOutput, output.scale, output.zeroPoint], y),
    );
    // A convolution that reads this one's output reads the dequantized value as it is.
    quantized.set(y, output);
  }
  graph.node = nodes;
  removeUnread(graph);
  return { model: onnx.ModelProto.encode(model).finish(), convolutions: measured.size };
}

/**
 * The convolutions quantizeConvolutions can quantize, by the values whose ranges it needs: not
 * grouped (depthwise convolutions stay float), with constant float weights and bias, and not
 * reading the model's own input. That first layer sees the pixels themselves, where 8 bits lose
 * the most for the least time saved (three input channels): quantized, the recogniser read
 * fewer of the 800 px and JPEG fixtures' labels than with it left float (docs/offline-analyzer.md,
 * "Tried and not kept"; today's accuracy: bench/results/eval-offline.md).
 */
export function quantizableConvolutions(bytes: Uint8Array): Array<{ input: string; output: string }> {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  return quantizable(graph, namedTensors(graph)).map(({ input, output }) => ({ input, output }));
}

function quantizable(graph: Graph, tensors: Map<string, Tensor>): Array<{ node: Node; input: string; output: string }> {
  const isFloat = (name: string | undefined) => !name || tensors.get(name)?.dataType === onnx.TensorProto.DataType.FLOAT;
  const modelInputs = new Set((graph.input ?? []).map((input) => input.name));
  return (graph.node ?? [])
    .filter((node) => {
      if (node.opType !== "Conv" || (node.domain && node.domain !== "ai.onnx") || node.output?.length !== 1) return false;
      if (modelInputs.has(node.input?.[0])) return false;
      const [, weights, bias] = node.input ?? [];
      const group = Number(node.attribute?.find((attribute) => attribute.name === "group")?.i ?? 1);
      return group === 1 && !!weights && isFloat(weights) && tensors.get(weights)!.dims?.length === 4 && isFloat(bias);
    })
    .map((node) => ({ node, input: node.input![0]!, output: node.output![0]! }));
}

const MICROSOFT = "com.microsoft";
/** int32 bias values stay within this: far from overflow, still finer than any float weight. */
const BIAS_LIMIT = 2 ** 30;
/** No scale below this: a channel whose weights are all (nearly) zero still gets a usable one. */
const SMALLEST_SCALE = 1e-12;

/** A float value's u8 form: its scale and zero point, and the name of its dequantized copy. */
interface QuantizedValue {
  scaleValue: number;
  scale: string;
  zeroPoint: string;
  dequantized: string;
}

/**
 * u8 over the measured range widened to hold 0 (so that zero padding is exact), as onnxruntime's
 * MinMax calibration does.
 */
function activationParameters(graph: Graph, value: string, [min, max]: readonly [number, number], dequantized: string, name: (wanted: string) => string): QuantizedValue {
  const [low, high] = [Math.min(0, min), Math.max(0, max)];
  const scale = Math.fround(high > low ? (high - low) / 255 : 1);
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-low / scale)));
  const parameters = { scaleValue: scale, scale: name(`${value}_scale`), zeroPoint: name(`${value}_zero_point`), dequantized };
  graph.initializer!.push(
    onnx.TensorProto.create({ name: parameters.scale, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytesOf(Float32Array.of(scale)) }),
    onnx.TensorProto.create({ name: parameters.zeroPoint, dims: [], dataType: onnx.TensorProto.DataType.UINT8, rawData: Uint8Array.of(zeroPoint) }),
  );
  return parameters;
}

/**
 * Symmetric weights, one scale per output channel, and the bias in the scale of input × weight,
 * as QLinearConv adds it to its int32 sums. A channel's scale is its largest weight over the
 * limit, unless its bias would then overflow int32: a channel whose weights are all but zero
 * (batch normalization leaves some) keeps its bias exact and loses its negligible weights.
 */
export function convolutionParameters(weights: Float32Array, channels: number, bias: Float32Array | null, inputScale: number) {
  const perChannel = weights.length / channels;
  const limit = 127;
  const weightScales = new Float32Array(channels);
  const quantizedWeights = new Int8Array(weights.length);
  const quantizedBias = bias ? new Int32Array(channels) : null;
  for (let channel = 0; channel < channels; channel++) {
    const from = channel * perChannel;
    let largest = 0;
    for (let index = from; index < from + perChannel; index++) largest = Math.max(largest, Math.abs(weights[index]!));
    const biasScale = bias ? Math.abs(bias[channel]!) / (inputScale * BIAS_LIMIT) : 0;
    weightScales[channel] = Math.max(largest / limit, biasScale, SMALLEST_SCALE);
    const scale = weightScales[channel]!;
    for (let index = from; index < from + perChannel; index++) {
      quantizedWeights[index] = Math.max(-limit, Math.min(limit, Math.round(weights[index]! / scale)));
    }
    if (bias) quantizedBias![channel] = Math.round(bias[channel]! / Math.fround(scale * inputScale));
  }
  return { weights: quantizedWeights, weightScales, bias: quantizedBias };
}

/** Integer values with per-channel (axis 0) scales and zero points 0, and the node that dequantizes them as `dequantized`. */
function perChannel(graph: Graph, dequantized: string, name: (wanted: string) => string, values: Tensor, scales: Float32Array): Node {
  const channels = scales.length;
  const zeroType = values.dataType === onnx.TensorProto.DataType.INT32 ? onnx.TensorProto.DataType.INT32 : onnx.TensorProto.DataType.INT8;
  const [valuesName, scalesName, zeroPointsName] = [name(`${dequantized}_quantized`), name(`${dequantized}_scale`), name(`${dequantized}_zero_point`)];
  graph.initializer!.push(
    Object.assign(values, { name: valuesName }),
    onnx.TensorProto.create({ name: scalesName, dims: [channels], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytesOf(scales) }),
    onnx.TensorProto.create({ name: zeroPointsName, dims: [channels], dataType: zeroType, rawData: new Uint8Array((zeroType === onnx.TensorProto.DataType.INT32 ? 4 : 1) * channels) }),
  );
  const dequantize = qdq("DequantizeLinear", [valuesName, scalesName, zeroPointsName], dequantized);
  dequantize.attribute = [onnx.AttributeProto.create({ name: "axis", i: 0, type: onnx.AttributeProto.AttributeType.INT })];
  return dequantize;
}

function qdq(opType: "QuantizeLinear" | "DequantizeLinear", input: string[], output: string): Node {
  return onnx.NodeProto.create({ opType, domain: MICROSOFT, name: `${output}/${opType}`, input, output: [output] });
}

/**
 * Hands out the names of new values, refusing one the graph already uses: a collision would
 * silently rewire the model.
 */
function freshNames(graph: Graph): (wanted: string) => string {
  const taken = new Set<string>([
    ...(graph.input ?? []).map((value) => value.name!),
    ...(graph.initializer ?? []).map((tensor) => tensor.name!),
    ...(graph.node ?? []).flatMap((node) => [...(node.output ?? []), node.name ?? ""]),
  ]);
  return (wanted) => {
    if (taken.has(wanted)) throw new Error(`Quantization would name a new value "${wanted}", which the model already uses.`);
    taken.add(wanted);
    return wanted;
  };
}

function bytesOf(values: Float32Array | Int32Array | Int8Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * QLinearConv needs opset 10. Of the operators whose meaning changed from opset 9 to 10, Slice
 * moved its starts, ends and axes from attributes to inputs (rewritten here); TopK did the same
 * with k, Upsample gave way to Resize and Dropout's mask became boolean, which this does not
 * rewrite: such a model is refused, as is one with subgraphs, which it does not look into.
 */
function raiseOpset(model: Model, target: number, name: (wanted: string) => string): void {
  const opset = model.opsetImport?.find((entry) => !entry.domain || entry.domain === "ai.onnx");
  if (!opset) throw new Error("The model names no version of the standard ONNX operators.");
  const version = Number(opset.version);
  if (version >= target) return;
  if (version < 9) throw new Error(`Quantization needs a model of opset 9 or later; this one is opset ${version}.`);
  const graph = model.graph!;
  for (const node of graph.node ?? []) {
    const refused =
      node.opType === "TopK" ||
      node.opType === "Upsample" ||
      (node.opType === "Dropout" && (node.output?.length ?? 0) > 1) ||
      node.attribute?.some((attribute) => attribute.g || attribute.graphs?.length);
    if (refused) throw new Error(`Raising the opset to ${target} would need ${node.opType} (${node.name ?? "unnamed"}) rewritten.`);
    if (node.opType !== "Slice") continue;
    const ints = (name: string) => node.attribute?.find((attribute) => attribute.name === name)?.ints?.map(Number);
    const inputs = [node.input![0]!];
    for (const part of ["starts", "ends", "axes"]) {
      const values = ints(part);
      if (!values) continue;
      const input = name(`${node.output![0]}_${part}`);
      graph.initializer!.push(onnx.TensorProto.create({ name: input, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values }));
      inputs.push(input);
    }
    node.input = inputs;
    node.attribute = [];
  }
  opset.version = target;
}
