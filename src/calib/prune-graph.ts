// A copy of a model that computes only what is asked for: the nodes the
// wanted tensors depend on, with those tensors as the only graph outputs.
// A calibration pass over one group of tensors then runs the part of the
// network up to them, not the whole of it (the first groups of a U-Net sit
// in its first layers). Inputs and initializers are all kept: the feeds stay
// valid, and ONNX Runtime drops initializers nothing uses.
import type { ModelProto } from '../onnx/proto.js';
import { makeValueInfo } from '../onnx/build.js';
import { cloneShallow } from '../onnx/walk-tensors.js';

export function pruneToOutputs(model: ModelProto, wanted: readonly string[], elemType: number, keepTypes: ReadonlyMap<string, number> = new Map()): ModelProto {
  const graph = model.graph!;
  const nodes = graph.node ?? [];
  // Nodes with subgraphs read outer-scope values their inputs do not list: keep such graphs whole.
  if (nodes.some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length)))) {
    const copy = cloneShallow(model);
    const g = cloneShallow(graph);
    g.output = wanted.map((t) => makeValueInfo(t, keepTypes.get(t) ?? elemType));
    copy.graph = g;
    return copy;
  }
  const needed = new Set(wanted);
  const keep = new Array<boolean>(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!(n.output ?? []).some((o) => needed.has(o))) continue;
    keep[i] = true;
    for (const inp of n.input ?? []) if (inp) needed.add(inp);
  }
  const g = cloneShallow(graph);
  g.node = nodes.filter((_, i) => keep[i]);
  g.output = wanted.map((t) => makeValueInfo(t, keepTypes.get(t) ?? elemType));
  const copy = cloneShallow(model);
  copy.graph = g;
  return copy;
}
