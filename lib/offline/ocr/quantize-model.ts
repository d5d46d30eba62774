import onnxProto from "onnx-proto";
import { floats, namedTensors, removeUnread } from "@/lib/offline/ocr/onnx-graph";

const { onnx } = onnxProto;
type Graph = onnxProto.onnx.IGraphProto;
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
 * convolution (not grouped, with constant weights) whose input and output ranges were measured
 * gets QuantizeLinear → DequantizeLinear on its input and output, per-channel int8 weights and
 * int32 bias behind DequantizeLinear. onnxruntime fuses each such pattern into one QLinearConv
 * (u8 activations × s8 weights), which on CPUs with int8 dot products (VNNI) ran the PP-OCRv4
 * recogniser's pointwise convolutions several times faster than float; everything else stays
 * float. Depthwise (grouped) convolutions stay float: quantized, the whole model ran slower.
 *
 * `weightBits` 7 keeps every weight within ±63: x86 CPUs without VNNI multiply u8 × s8 pairs
 * into 16-bit sums, which 8-bit weights can overflow (onnxruntime's own quantizer calls this
 * `reduce_range`).
 */
export function quantizeConvolutions(bytes: Uint8Array, ranges: ActivationRanges, { weightBits }: { weightBits: 7 | 8 }): Quantization {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  raiseOpset(model, 10);
  // onnxruntime's own Q/DQ operators take a per-channel axis at any opset; ONNX's from 13 only.
  model.opsetImport!.push({ domain: MICROSOFT, version: 1 });
  const tensors = namedTensors(graph);
  const quantized = new Map<string, QuantizedValue>();
  const nodes: Node[] = [];
  let convolutions = 0;

  /** A float value as u8 and back, once however many convolutions read it. */
  const dequantizedInput = (name: string): QuantizedValue => {
    const existing = quantized.get(name);
    if (existing) return existing;
    const value = activationParameters(graph, name, ranges[name]!);
    nodes.push(
      qdq("QuantizeLinear", [name, value.scale, value.zeroPoint], `${name}_quantized`),
      qdq("DequantizeLinear", [`${name}_quantized`, value.scale, value.zeroPoint], value.dequantized),
    );
    quantized.set(name, value);
    return value;
  };

  for (const node of graph.node ?? []) {
    const weights = node.opType === "Conv" ? tensors.get(node.input![1]!) : undefined;
    const [x, y] = [node.input?.[0], node.output?.[0]];
    const bias = node.input?.[2] ? tensors.get(node.input[2]) : undefined;
    const quantizable =
      weights?.dataType === onnx.TensorProto.DataType.FLOAT &&
      weights.dims?.length === 4 &&
      group(node) === 1 &&
      (!node.input?.[2] || bias?.dataType === onnx.TensorProto.DataType.FLOAT) &&
      ranges[x!] &&
      ranges[y!];
    if (!quantizable) {
      nodes.push(node);
      continue;
    }
    const input = dequantizedInput(x!);
    const quantizedWeights = addWeights(graph, weights!, `${y}_weight`, weightBits);
    nodes.push(quantizedWeights.dequantize);
    const inputs = [input.dequantized, `${y}_weight`];
    if (bias) {
      nodes.push(addBias(graph, floats(bias), quantizedWeights.scales, input.scaleValue, `${y}_bias`));
      inputs.push(`${y}_bias`);
    }
    // The convolution's own output becomes `${y}_float`; its readers get it through u8 as `y`.
    const output = activationParameters(graph, y!, ranges[y!]!, y!);
    nodes.push(
      onnx.NodeProto.create({ ...node, input: inputs, output: [`${y}_float`] }),
      qdq("QuantizeLinear", [`${y}_float`, output.scale, output.zeroPoint], `${y}_quantized`),
      qdq("DequantizeLinear", [`${y}_quantized`, output.scale, output.zeroPoint], y!),
    );
    // A convolution that reads this one's output reads the dequantized value as it is.
    quantized.set(y!, output);
    convolutions++;
  }
  graph.node = nodes;
  removeUnread(graph);
  return { model: onnx.ModelProto.encode(model).finish(), convolutions };
}

const MICROSOFT = "com.microsoft";

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
function activationParameters(graph: Graph, name: string, [min, max]: readonly [number, number], dequantized = `${name}_dequantized`): QuantizedValue {
  const [low, high] = [Math.min(0, min), Math.max(0, max)];
  const scale = high > low ? (high - low) / 255 : 1;
  const zeroPoint = Math.min(255, Math.max(0, Math.round(-low / scale)));
  const value = { scaleValue: scale, scale: `${name}_scale`, zeroPoint: `${name}_zero_point`, dequantized };
  graph.initializer!.push(
    onnx.TensorProto.create({ name: value.scale, dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytesOf(Float32Array.of(scale)) }),
    onnx.TensorProto.create({ name: value.zeroPoint, dims: [], dataType: onnx.TensorProto.DataType.UINT8, rawData: Uint8Array.of(zeroPoint) }),
  );
  return value;
}

/** The weights as symmetric int8, one scale per output channel, and their DequantizeLinear to `name`. */
function addWeights(graph: Graph, weights: Tensor, name: string, bits: 7 | 8): { scales: Float32Array; dequantize: Node } {
  const values = floats(weights);
  const channels = Number(weights.dims![0]);
  const perChannel = values.length / channels;
  const limit = 2 ** (bits - 1) - 1;
  const scales = new Float32Array(channels);
  const quantized = new Int8Array(values.length);
  for (let channel = 0; channel < channels; channel++) {
    const from = channel * perChannel;
    let largest = 0;
    for (let index = from; index < from + perChannel; index++) largest = Math.max(largest, Math.abs(values[index]!));
    scales[channel] = largest > 0 ? largest / limit : 1;
    for (let index = from; index < from + perChannel; index++) {
      quantized[index] = Math.max(-limit, Math.min(limit, Math.round(values[index]! / scales[channel]!)));
    }
  }
  const dequantize = addPerChannel(graph, name, {
    values: onnx.TensorProto.create({ dims: weights.dims, dataType: onnx.TensorProto.DataType.INT8, rawData: bytesOf(quantized) }),
    scales,
    zeroPoints: onnx.TensorProto.create({ dims: [channels], dataType: onnx.TensorProto.DataType.INT8, rawData: new Uint8Array(channels) }),
  });
  return { scales, dequantize };
}

/** The bias as int32 in the scale of input × weight, as QLinearConv adds it to its sums; its DequantizeLinear to `name`. */
function addBias(graph: Graph, bias: Float32Array, weightScales: Float32Array, inputScale: number, name: string): Node {
  const scales = weightScales.map((scale) => scale * inputScale);
  const values = Int32Array.from(bias, (value, channel) => Math.round(value / scales[channel]!));
  return addPerChannel(graph, name, {
    values: onnx.TensorProto.create({ dims: [bias.length], dataType: onnx.TensorProto.DataType.INT32, rawData: bytesOf(values) }),
    scales,
    zeroPoints: onnx.TensorProto.create({ dims: [bias.length], dataType: onnx.TensorProto.DataType.INT32, rawData: new Uint8Array(4 * bias.length) }),
  });
}

/** Integer values with per-channel (axis 0) scales and zero points, and the node that dequantizes them as `name`. */
function addPerChannel(graph: Graph, name: string, parts: { values: Tensor; scales: Float32Array; zeroPoints: Tensor }): Node {
  const scales = onnx.TensorProto.create({ name: `${name}_scale`, dims: [parts.scales.length], dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytesOf(parts.scales) });
  graph.initializer!.push(
    Object.assign(parts.values, { name: `${name}_quantized` }),
    scales,
    Object.assign(parts.zeroPoints, { name: `${name}_zero_point` }),
  );
  const dequantize = qdq("DequantizeLinear", [`${name}_quantized`, scales.name!, `${name}_zero_point`], name);
  dequantize.attribute = [onnx.AttributeProto.create({ name: "axis", i: 0, type: onnx.AttributeProto.AttributeType.INT })];
  return dequantize;
}

function qdq(opType: "QuantizeLinear" | "DequantizeLinear", input: string[], output: string): Node {
  return onnx.NodeProto.create({ opType, domain: MICROSOFT, name: `${output}/${opType}`, input, output: [output] });
}

function group(node: Node): number {
  return Number(node.attribute?.find((attribute) => attribute.name === "group")?.i ?? 1);
}

function bytesOf(values: Float32Array | Int32Array | Int8Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * QLinearConv needs opset 10. Of the operators whose meaning changed from opset 9 to 10, Slice
 * moved its starts, ends and axes from attributes to inputs (rewritten here); TopK did the same
 * with k, and Upsample gave way to Resize, which this does not rewrite: such a model is refused.
 */
function raiseOpset(model: onnxProto.onnx.IModelProto, target: number): void {
  const opset = model.opsetImport!.find((entry) => !entry.domain)!;
  const version = Number(opset.version);
  if (version >= target) return;
  if (version < 9) throw new Error(`Quantization needs a model of opset 9 or later; this one is opset ${version}.`);
  const graph = model.graph!;
  for (const node of graph.node ?? []) {
    if (node.opType === "TopK" || node.opType === "Upsample") throw new Error(`Raising the opset to ${target} would need ${node.opType} rewritten.`);
    if (node.opType !== "Slice") continue;
    const ints = (name: string) => node.attribute?.find((attribute) => attribute.name === name)?.ints?.map(Number);
    const inputs = [node.input![0]!];
    for (const part of ["starts", "ends", "axes"]) {
      const values = ints(part);
      if (!values) continue;
      const name = `${node.output![0]}_${part}`;
      graph.initializer!.push(onnx.TensorProto.create({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values }));
      inputs.push(name);
    }
    node.input = inputs;
    node.attribute = [];
  }
  opset.version = target;
}
