// What ties a calibration table to a model: a digest per tensor, computed
// like a Merkle tree over the graph. A tensor's digest hashes its producer
// node (op, domain, attributes) and the digests of the node's inputs; a
// weight's digest hashes its type, shape and bytes; a graph input's its
// name, type and shape. A changed weight or node changes the digest of
// every tensor downstream, so the first differing tensor in graph order is
// where the models part. The graph digest hashes every node output's digest.
import { createHash } from 'node:crypto';
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { onnx } from '../onnx/proto.js';
import { tensorBytes, type TensorSource } from '../onnx/tensor-data.js';

export interface GraphDigest {
  /** hex digest of the whole graph */
  graph: string;
  /** per tensor (node outputs and graph inputs), in graph order */
  tensors: Map<string, string>;
  /** the producer of each node output: "Conv conv1" */
  producers: Map<string, string>;
}

const sha = (...parts: Array<string | Uint8Array>): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

function attributesOf(node: NodeProto): Uint8Array {
  // Attributes by name, encoded as protobuf: a stable byte form of every attribute type.
  const attrs = [...(node.attribute ?? [])].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
  return onnx.NodeProto.encode(new onnx.NodeProto({ attribute: attrs })).finish();
}

/** Digests of the main graph's tensors (subgraph bodies count as attributes of their node). */
export function graphDigest(model: ModelProto, source: TensorSource): GraphDigest {
  const graph = model.graph!;
  const tensors = new Map<string, string>();
  const producers = new Map<string, string>();
  for (const init of graph.initializer ?? []) {
    tensors.set(init.name ?? '', sha('init', String(init.dataType ?? 0), (init.dims ?? []).join(','), tensorBytes(init, source)));
  }
  for (const v of graph.input ?? []) {
    if (tensors.has(v.name ?? '')) continue;
    tensors.set(v.name ?? '', sha('input', v.name ?? '', onnx.TypeProto.encode(new onnx.TypeProto(v.type ?? {})).finish()));
  }
  const outputsInOrder: string[] = [];
  for (const node of graph.node ?? []) {
    const inputs = (node.input ?? []).map((i) => (i ? tensors.get(i) ?? `outer:${i}` : ''));
    const base = sha('node', node.domain ?? '', node.opType ?? '', attributesOf(node), inputs.join(','));
    (node.output ?? []).forEach((o, k) => {
      if (!o) return;
      tensors.set(o, sha(base, String(k)));
      producers.set(o, `${node.opType ?? ''} ${node.name ?? ''}`.trim());
      outputsInOrder.push(o);
    });
  }
  const outputs = (graph.output ?? []).map((v) => `${v.name}:${tensors.get(v.name ?? '') ?? ''}`);
  return { graph: sha(outputsInOrder.map((o) => tensors.get(o)).join(','), '|', outputs.join(',')), tensors, producers };
}
