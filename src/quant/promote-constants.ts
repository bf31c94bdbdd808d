// Weights held in Constant nodes (older PyTorch and Paddle exports) become
// initializers, so that they are quantized exactly like initializers are.
import { onnx, type GraphProto } from '../onnx/proto.js';
import { cloneShallow } from '../onnx/walk-tensors.js';

/** Returns how many Constant nodes were promoted. Only tensor-valued Constants of the given graph. */
export function promoteConstants(graph: GraphProto): number {
  let promoted = 0;
  const kept = [];
  for (const node of graph.node ?? []) {
    const attrs = node.attribute ?? [];
    const value = attrs.length === 1 && attrs[0]!.name === 'value' ? attrs[0]!.t : undefined;
    if (node.opType === 'Constant' && !node.domain && value && (node.output ?? []).length === 1) {
      const tensor = cloneShallow(value) as onnx.TensorProto;
      tensor.name = node.output![0]!;
      (graph.initializer ??= []).push(tensor);
      promoted++;
      continue;
    }
    kept.push(node);
  }
  graph.node = kept;
  return promoted;
}
