import "server-only";
import onnxProto from "onnx-proto";
import { floats, namedTensors, removeUnread } from "@/lib/offline/ocr/model-prep/onnx-graph";

const { onnx } = onnxProto;
type Graph = onnxProto.onnx.IGraphProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

/** What simplifyModel changed, for tests and logs. */
export interface Simplification {
  model: Uint8Array;
  hardSwishes: number;
  /** Batch normalizations folded into the convolution before them. */
  batchNormalizations: number;
  /** Scalar scale-and-shift steps folded into the convolution before them. */
  foldedAfterConvolution: number;
  /** Scalar scale-and-shift steps folded into the convolution after them. */
  foldedBeforeConvolution: number;
  /** Scalar scale-and-shift steps left before a padded convolution, made a 1×1 convolution. */
  affinesAsConvolutions: number;
}

/**
 * Rewrites a PaddleOCR ONNX export into the same function with far fewer element-wise steps.
 * Paddle's exporter writes each hard-swish as four operations (add 3, clip to 0–6, multiply,
 * divide by 6) and each of PP-LCNetV3's learnable affine blocks as a multiply and an add by
 * scalars, around every convolution. onnxruntime fuses none of these, and on CPU those passes
 * over memory took about as long as the convolutions (docs/offline-analyzer.md, "What took
 * latency down"). The rewrites are exact up to float rounding:
 * - x · clip(x + 3, 0, 6) / 6 becomes x · HardSigmoid(x) with α = 1/6, β = ½;
 * - Conv → BatchNormalization becomes one Conv (onnxruntime does this one itself, but not after
 *   quantization has come between them);
 * - Conv → ·s → +b becomes one Conv with weights s·W and bias s·B + b;
 * - ·s → +b → Conv becomes one Conv with weights s·W and bias B + b·ΣW, when that convolution
 *   pads nothing (padding would see zeros where the shift put b);
 * - a ·s → +b left before a padded convolution becomes a 1×1 per-channel convolution. It does
 *   the same arithmetic, but onnxruntime keeps convolutions in its blocked channel layout
 *   (NCHWc), whereas a multiply by a scalar makes it convert the tensor out of that layout and
 *   back, and those conversions cost recognition time (same notes).
 */
export function simplifyModel(bytes: Uint8Array): Simplification {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const tensors = namedTensors(graph);
  const hardSwishes = rewriteHardSwishes(graph, tensors);
  const batchNormalizations = foldBatchNormalizations(graph, tensors);
  const foldedAfterConvolution = foldAffineAfterConvolutions(graph, tensors);
  const foldedBeforeConvolution = foldAffineBeforeConvolutions(graph, tensors);
  const affinesAsConvolutions = affinesToConvolutions(graph, tensors);
  removeUnread(graph);
  return { model: onnx.ModelProto.encode(model).finish(), hardSwishes, batchNormalizations, foldedAfterConvolution, foldedBeforeConvolution, affinesAsConvolutions };
}

/** Who makes each value and who reads it; rebuilt after each pass removes nodes. */
class Wiring {
  private readonly producers = new Map<string, Node>();
  private readonly readers = new Map<string, Node[]>();
  private readonly outputs: Set<string>;

  constructor(graph: Graph) {
    this.outputs = new Set((graph.output ?? []).map((output) => output.name!));
    for (const node of graph.node ?? []) {
      for (const output of node.output ?? []) this.producers.set(output, node);
      for (const input of node.input ?? []) this.readers.set(input, [...(this.readers.get(input) ?? []), node]);
    }
  }

  producer(value: string, opType: string): Node | null {
    const node = this.producers.get(value);
    return node?.opType === opType ? node : null;
  }

  readerCount(value: string): number {
    return this.readers.get(value)?.length ?? 0;
  }

  /** The one node that reads `value`, if exactly one does and the graph does not output it. */
  soleReader(value: string, opType: string): Node | null {
    const readers = this.readers.get(value) ?? [];
    return readers.length === 1 && readers[0]!.opType === opType && !this.outputs.has(value) ? readers[0]! : null;
  }
}

function rewriteHardSwishes(graph: Graph, tensors: Map<string, Tensor>): number {
  const wiring = new Wiring(graph);
  const removed = new Set<Node>();
  for (const clip of graph.node ?? []) {
    if (clip.opType !== "Clip") continue;
    const add = wiring.producer(clip.input![0]!, "Add");
    const multiply = wiring.soleReader(clip.output![0]!, "Mul");
    if (!add || !multiply || wiring.soleReader(add.output![0]!, "Clip") !== clip) continue;
    const three = scalarOperand(add, tensors);
    const x = three?.other;
    if (three?.value !== 3 || !multiply.input!.includes(x!) || !clipsTo(clip, tensors, 0, 6)) continue;
    const divide = wiring.soleReader(multiply.output![0]!, "Div");
    if (!divide || divide.input![0] !== multiply.output![0] || scalar(tensors.get(divide.input![1]!)) !== 6) continue;
    clip.opType = "HardSigmoid";
    clip.input = [x!];
    clip.attribute = [
      onnx.AttributeProto.create({ name: "alpha", f: 1 / 6, type: onnx.AttributeProto.AttributeType.FLOAT }),
      onnx.AttributeProto.create({ name: "beta", f: 0.5, type: onnx.AttributeProto.AttributeType.FLOAT }),
    ];
    multiply.output = [divide.output![0]!];
    removed.add(add).add(divide);
  }
  graph.node = graph.node!.filter((node) => !removed.has(node));
  return removed.size / 2;
}

/**
 * Conv → BatchNormalization becomes one Conv: each output channel's weights and bias scaled by
 * γ/√(σ² + ε), then shifted by β − μ·γ/√(σ² + ε). onnxruntime does this itself for a float model,
 * but not once quantization has put its steps between the two, and the normalization's
 * per-channel scale is then better inside the int8 weights than after them.
 */
function foldBatchNormalizations(graph: Graph, tensors: Map<string, Tensor>): number {
  const wiring = new Wiring(graph);
  const removed = new Set<Node>();
  for (const convolution of graph.node ?? []) {
    if (!ownsParameters(convolution, wiring, tensors)) continue;
    const normalization = wiring.soleReader(convolution.output![0]!, "BatchNormalization");
    const training = normalization?.attribute?.some((attribute) => attribute.name === "training_mode" && Number(attribute.i) === 1);
    if (!normalization || normalization.output?.length !== 1 || training) continue;
    const parameters = normalization.input!.slice(1, 5).map((name) => tensors.get(name));
    if (parameters.length !== 4 || parameters.some((parameter) => parameter?.dataType !== onnx.TensorProto.DataType.FLOAT)) continue;
    const [scale, shift, mean, variance] = parameters.map((parameter) => floats(parameter!)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    // One of each a channel, or it is not the per-channel normalization this folds (opset 8 and
    // earlier could normalize per pixel too).
    const channels = Number(tensors.get(convolution.input![1]!)!.dims![0]);
    if ([scale, shift, mean, variance].some((values) => values.length !== channels)) continue;
    const epsilon = normalization.attribute?.find((attribute) => attribute.name === "epsilon")?.f ?? 1e-5;
    const { weights, bias, outputs } = convolutionTensors(convolution, graph, tensors);
    const perOutput = weights.values.length / outputs;
    for (let output = 0; output < outputs; output++) {
      const factor = scale[output]! / Math.sqrt(variance[output]! + epsilon);
      for (let index = output * perOutput; index < (output + 1) * perOutput; index++) weights.values[index]! *= factor;
      bias.values[output] = (bias.values[output]! - mean[output]!) * factor + shift[output]!;
    }
    weights.save();
    bias.save();
    convolution.output = [normalization.output[0]!];
    removed.add(normalization);
  }
  graph.node = graph.node!.filter((node) => !removed.has(node));
  return removed.size;
}

function foldAffineAfterConvolutions(graph: Graph, tensors: Map<string, Tensor>): number {
  const wiring = new Wiring(graph);
  const removed = new Set<Node>();
  let folded = 0;
  for (const convolution of graph.node ?? []) {
    if (!ownsParameters(convolution, wiring, tensors)) continue;
    const multiply = wiring.soleReader(convolution.output![0]!, "Mul");
    const scale = multiply && scalarOperand(multiply, tensors);
    if (!multiply || !scale) continue;
    const add = wiring.soleReader(multiply.output![0]!, "Add");
    const shift = add && scalarOperand(add, tensors);
    const { weights, bias } = convolutionTensors(convolution, graph, tensors);
    weights.values.forEach((weight, index) => (weights.values[index] = weight * scale.value));
    bias.values.forEach((value, index) => (bias.values[index] = value * scale.value + (shift?.value ?? 0)));
    weights.save();
    bias.save();
    convolution.output = [(shift ? add! : multiply).output![0]!];
    removed.add(multiply);
    if (shift) removed.add(add!);
    folded++;
  }
  graph.node = graph.node!.filter((node) => !removed.has(node));
  return folded;
}

function foldAffineBeforeConvolutions(graph: Graph, tensors: Map<string, Tensor>): number {
  const wiring = new Wiring(graph);
  const removed = new Set<Node>();
  for (const convolution of graph.node ?? []) {
    if (!ownsParameters(convolution, wiring, tensors) || pads(convolution)) continue;
    const add = wiring.producer(convolution.input![0]!, "Add");
    const shift = add && wiring.soleReader(add.output![0]!, "Conv") === convolution ? scalarOperand(add, tensors) : null;
    const multiply = shift ? wiring.producer(shift.other, "Mul") : null;
    const scale = multiply && wiring.soleReader(multiply.output![0]!, "Add") === add ? scalarOperand(multiply, tensors) : null;
    if (!shift || !multiply || !scale) continue;
    const { weights, bias, outputs } = convolutionTensors(convolution, graph, tensors);
    const perOutput = weights.values.length / outputs;
    for (let output = 0; output < outputs; output++) {
      let sum = 0;
      for (let index = output * perOutput; index < (output + 1) * perOutput; index++) {
        sum += weights.values[index]!;
        weights.values[index]! *= scale.value;
      }
      bias.values[output]! += shift.value * sum;
    }
    weights.save();
    bias.save();
    convolution.input![0] = scale.other;
    removed.add(multiply).add(add!);
  }
  graph.node = graph.node!.filter((node) => !removed.has(node));
  return removed.size / 2;
}

function affinesToConvolutions(graph: Graph, tensors: Map<string, Tensor>): number {
  const wiring = new Wiring(graph);
  const removed = new Set<Node>();
  for (const add of graph.node ?? []) {
    if (add.opType !== "Add") continue;
    const convolution = wiring.soleReader(add.output![0]!, "Conv");
    const shift = convolution ? scalarOperand(add, tensors) : null;
    const multiply = shift ? wiring.producer(shift.other, "Mul") : null;
    const scale = multiply && wiring.soleReader(multiply.output![0]!, "Add") === add ? scalarOperand(multiply, tensors) : null;
    if (!convolution || !shift || !multiply || !scale) continue;
    const weights = tensors.get(convolution.input![1]!);
    const group = Number(convolution.attribute?.find((attribute) => attribute.name === "group")?.i ?? 1);
    if (!weights?.dims || weights.dims.length !== 4) continue;
    const channels = Number(weights.dims[1]) * group;
    const name = `${add.output![0]}_affine`;
    const parameter = (suffix: string, value: number, dims: number[]) => {
      const tensor = onnx.TensorProto.create({ name: `${name}_${suffix}`, dims, dataType: onnx.TensorProto.DataType.FLOAT });
      editable(tensor, new Float32Array(channels).fill(value)).save();
      (graph.initializer ??= []).push(tensor);
      return tensor.name!;
    };
    const perChannel = onnx.NodeProto.create({
      opType: "Conv",
      name,
      input: [scale.other, parameter("scale", scale.value, [channels, 1, 1, 1]), parameter("shift", shift.value, [channels])],
      output: [add.output![0]!],
      attribute: [
        onnx.AttributeProto.create({ name: "group", i: channels, type: onnx.AttributeProto.AttributeType.INT }),
        onnx.AttributeProto.create({ name: "kernel_shape", ints: [1, 1], type: onnx.AttributeProto.AttributeType.INTS }),
      ],
    });
    // The multiply becomes the convolution, in its place in the node order; the add goes.
    Object.assign(multiply, { opType: perChannel.opType, name: perChannel.name, input: perChannel.input, output: perChannel.output, attribute: perChannel.attribute });
    removed.add(add);
  }
  graph.node = graph.node!.filter((node) => !removed.has(node));
  return removed.size;
}

/**
 * A convolution whose weights and bias are float constants that no other node reads: folding
 * into them changes this convolution alone, and they can be read and written here.
 */
function ownsParameters(convolution: Node, wiring: Wiring, tensors: Map<string, Tensor>): boolean {
  const parameters = (convolution.input ?? []).slice(1).filter(Boolean);
  return (
    convolution.opType === "Conv" &&
    parameters.length >= 1 &&
    parameters.every((parameter) => wiring.readerCount(parameter) === 1 && tensors.get(parameter)?.dataType === onnx.TensorProto.DataType.FLOAT)
  );
}

/** The scalar operand of a binary node and its other operand, when one operand is a scalar. */
function scalarOperand(node: Node, tensors: Map<string, Tensor>): { value: number; other: string } | null {
  const [first, second] = node.input as [string, string];
  const value = scalar(tensors.get(first));
  if (value !== null) return { value, other: second };
  const secondValue = scalar(tensors.get(second));
  return secondValue !== null ? { value: secondValue, other: first } : null;
}

function scalar(tensor: Tensor | undefined): number | null {
  if (!tensor || tensor.dataType !== onnx.TensorProto.DataType.FLOAT) return null;
  const values = floats(tensor);
  return values.length === 1 ? values[0]! : null;
}

/** Clip's bounds are attributes up to opset 10 and inputs from opset 11. */
function clipsTo(clip: Node, tensors: Map<string, Tensor>, low: number, high: number): boolean {
  const attribute = (name: string) => clip.attribute?.find((each) => each.name === name)?.f;
  const [, min, max] = clip.input ?? [];
  const bounds = min !== undefined ? [scalar(tensors.get(min)), max === undefined ? null : scalar(tensors.get(max))] : [attribute("min"), attribute("max")];
  return bounds[0] === low && bounds[1] === high;
}

function pads(convolution: Node): boolean {
  const attribute = (name: string) => convolution.attribute?.find((each) => each.name === name);
  const autoPad = attribute("auto_pad")?.s;
  const mode = autoPad ? new TextDecoder().decode(autoPad) : "NOTSET";
  return (mode !== "NOTSET" && mode !== "VALID") || (attribute("pads")?.ints ?? []).some((pad) => Number(pad) !== 0);
}

interface EditableTensor {
  values: Float32Array;
  save(): void;
}

/** A convolution's weights and bias as editable floats; a bias of zeros is added if it has none. */
function convolutionTensors(convolution: Node, graph: Graph, tensors: Map<string, Tensor>) {
  const weights = tensors.get(convolution.input![1]!)!;
  const outputs = Number(weights.dims![0]);
  let bias = convolution.input![2] ? tensors.get(convolution.input![2]) : undefined;
  if (!bias) {
    bias = onnx.TensorProto.create({ name: `${convolution.output![0]}_bias`, dims: [outputs], dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(4 * outputs) });
    (graph.initializer ??= []).push(bias);
    tensors.set(bias.name!, bias);
    convolution.input = [convolution.input![0]!, convolution.input![1]!, bias.name!];
  }
  return { weights: editable(weights), bias: editable(bias), outputs };
}

function editable(tensor: Tensor, values = floats(tensor)): EditableTensor {
  return {
    values,
    save() {
      tensor.floatData = [];
      tensor.rawData = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    },
  };
}

