import "server-only";
import onnxProto from "onnx-proto";

/** Reading and tidying ONNX graphs: what the model rewrites (simplify, quantize) share. */

type Graph = onnxProto.onnx.IGraphProto;
type Tensor = onnxProto.onnx.ITensorProto;

/** Initializers and Constant nodes' values by name: Paddle's exporter writes constants as either. */
export function namedTensors(graph: Graph): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>((graph.initializer ?? []).map((tensor) => [tensor.name!, tensor]));
  for (const node of graph.node ?? []) {
    const value = node.attribute?.find((attribute) => attribute.name === "value")?.t;
    if (node.opType === "Constant" && value) tensors.set(node.output![0]!, value);
  }
  return tensors;
}

/** Drops the constants that a rewrite left unread (onnxruntime warns about each one). */
export function removeUnread(graph: Graph): void {
  const read = new Set([...(graph.node ?? []).flatMap((node) => node.input ?? []), ...(graph.output ?? []).map((output) => output.name!)]);
  graph.node = graph.node!.filter((node) => node.opType !== "Constant" || node.output!.some((output) => read.has(output)));
  graph.initializer = (graph.initializer ?? []).filter((tensor) => read.has(tensor.name!));
}

/** A float tensor's values, copied: raw little-endian bytes or the repeated float field. */
export function floats(tensor: Tensor): Float32Array {
  if (tensor.floatData?.length) return Float32Array.from(tensor.floatData);
  // A copy into fresh memory: protobufjs hands out Buffers that view the whole model.
  return new Float32Array(new Uint8Array(tensor.rawData ?? []).buffer);
}
