import "server-only";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** The two outputs added to the recogniser: per time step, the likeliest class and its probability. */
export const BEST_CLASS = "best_class";
export const BEST_PROBABILITY = "best_probability";

/**
 * Adds to a CTC recogniser, besides its probabilities over every class ([lines, steps, classes]),
 * two small outputs computed in the model: the likeliest class at each step (int32) and its
 * probability ([lines, steps] each). Greedy decoding needs no more, and asking onnxruntime for
 * these alone spares copying 6625 probabilities a step out of the model and scanning them in
 * JavaScript. The full output stays available for reads that need other classes' probabilities.
 */
export function addBestClassOutputs(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  // ReduceMax takes its axes as an attribute up to opset 17, as written below.
  const opset = Number(model.opsetImport?.find((entry) => !entry.domain)?.version ?? 0);
  if (opset > 17) throw new Error(`addBestClassOutputs writes ReduceMax for opset 17 or older; this model uses opset ${opset}.`);
  // The recogniser's one output: probabilities over every class, [lines, steps, classes].
  const probabilities = graph.output![0]!.name!;
  const classIndex = `${BEST_CLASS}_int64`;
  const int = (name: string, value: number) => onnx.AttributeProto.create({ name, i: value, type: onnx.AttributeProto.AttributeType.INT });
  graph.node!.push(
    onnx.NodeProto.create({ opType: "ArgMax", input: [probabilities], output: [classIndex], attribute: [int("axis", 2), int("keepdims", 0)] }),
    // int32: JavaScript reads int64 as BigInt.
    onnx.NodeProto.create({ opType: "Cast", input: [classIndex], output: [BEST_CLASS], attribute: [int("to", onnx.TensorProto.DataType.INT32)] }),
    onnx.NodeProto.create({
      opType: "ReduceMax",
      input: [probabilities],
      output: [BEST_PROBABILITY],
      attribute: [
        onnx.AttributeProto.create({ name: "axes", ints: [2], type: onnx.AttributeProto.AttributeType.INTS }),
        int("keepdims", 0),
      ],
    }),
  );
  const output = (name: string, elemType: number) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType } } });
  graph.output!.push(output(BEST_CLASS, onnx.TensorProto.DataType.INT32), output(BEST_PROBABILITY, onnx.TensorProto.DataType.FLOAT));
  return onnx.ModelProto.encode(model).finish();
}
