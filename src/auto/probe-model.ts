// One model that measures every unit at once (the per-layer analysis's
// "probe"): the float model, and beside it one copy of the quantized model
// per variant (int8 kernels, 8-bit kernel weights, weight-only), whose units
// read the float model's tensors instead of their own upstream. So in a single
// run each unit's quantized output shows the error it adds alone, whatever
// the units before it do. Each unit's float output is also mixed with its
// quantized ones through a gate vector fed as an input:
//   mix = float + Σ_variant gate · (quantized − float)
// and the float model's consumers read the mix: with all gates 0 the model is
// the float one; with one gate on, its outputs are those of the model with
// only that unit quantized. The exact checks are then runs of one session with
// other gates, not a new model each.
import { makeNode, makeTensor, makeValueInfo } from '../onnx/build.js';
import { DataType } from '../onnx/dtypes.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from '../onnx/proto.js';
import { cloneShallow } from '../onnx/walk-tensors.js';
import type { ActivationPair } from '../quant/qdq-rewrite.js';
import type { Unit } from './units.js';

export interface ProbeVariant {
  key: string;
  /** the model quantized this way (the same prepared float model underneath) */
  proto: ModelProto;
  pairs: Map<string, ActivationPair>;
  /** the units this variant changes (quantized or weight-only in it) */
  units: Set<string>;
}

export interface ProbeModel {
  proto: ModelProto;
  /** the gate input: units.length × variants.length values, variant-major */
  gateInput: string;
  gateCount: number;
  /** per unit: its float output and, per variant it exists in, the quantized output read from float inputs */
  compare: Array<{ float: string; quantized: Map<string, string> }>;
  /** per graph output of the float model: the tensor that holds its (gated) value */
  finals: Array<{ output: string; tensor: string }>;
  gateIndex(unit: number, variant: string): number;
}

export function buildProbe(floatProto: ModelProto, units: readonly Unit[], variants: readonly ProbeVariant[]): ProbeModel {
  const F = floatProto.graph!;
  const graphInputs = new Set((F.input ?? []).map((v) => v.name ?? ''));
  const floatInits = new Set((F.initializer ?? []).map((t) => t.name ?? ''));
  const floatTensors = new Set([...graphInputs, ...(F.node ?? []).flatMap((n) => n.output ?? [])]);
  const mixOf = new Map(units.map((u) => [u.output, `probe/mix/${u.output}`]));
  const mixed = (t: string): string => mixOf.get(t) ?? t;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [...(F.initializer ?? [])];

  // The float model, its consumers reading the mixed outputs.
  for (const n of F.node ?? []) {
    const copy = cloneShallow(n);
    copy.input = (n.input ?? []).map((i) => (i ? mixed(i) : i));
    nodes.push(copy);
  }

  const gateInput = 'probe/gates';
  const gateCount = units.length * variants.length;
  const variantIndex = new Map(variants.map((v, k) => [v.key, k]));
  const gateIndex = (unit: number, variant: string): number => variantIndex.get(variant)! * units.length + unit;
  const compare = units.map((u) => ({ float: u.output, quantized: new Map<string, string>() }));

  variants.forEach((variant, k) => {
    const prefix = `v${k}/`;
    const G = variant.proto.graph!;
    const rename = (name: string): string => (!name || graphInputs.has(name) ? name : prefix + name);
    for (const t of G.initializer ?? []) {
      const copy = cloneShallow(t);
      copy.name = rename(t.name ?? '');
      initializers.push(copy);
    }
    const variantInits = new Set((G.initializer ?? []).map((t) => t.name ?? ''));
    const dequantizedOf = new Map<string, string>();
    for (const [tensor, pair] of variant.pairs) dequantizedOf.set(pair.dequantized, tensor);
    const heads = new Map<string, number>();
    units.forEach((u, i) => {
      if (variant.units.has(u.name)) heads.set(u.name, i);
    });
    const locals = new Map<string, string>();
    const localOf = (tensor: string): string => {
      let name = locals.get(tensor);
      if (name) return name;
      const pair = variant.pairs.get(tensor)!;
      name = `${prefix}probe/local/${tensor}`;
      locals.set(tensor, name);
      nodes.push(
        makeNode('QuantizeLinear', [mixed(tensor), rename(pair.scale), rename(pair.zeroPoint)], [`${name}/q`], `${name}/QuantizeLinear`),
        makeNode('DequantizeLinear', [`${name}/q`, rename(pair.scale), rename(pair.zeroPoint)], [name], `${name}/DequantizeLinear`),
      );
      return name;
    };
    for (const n of G.node ?? []) {
      const copy = cloneShallow(n);
      copy.name = prefix + (n.name ?? '');
      copy.output = (n.output ?? []).map(rename);
      const head = heads.get(n.name ?? '');
      copy.input = (n.input ?? []).map((i) => {
        if (head === undefined || !i) return rename(i);
        // A head's activation inputs come from the float model: quantized there with the variant's own parameters.
        const tensor = dequantizedOf.get(i);
        if (tensor !== undefined) return localOf(tensor);
        return floatTensors.has(i) && !floatInits.has(i) && !variantInits.has(i) ? mixed(i) : rename(i);
      });
      nodes.push(copy);
    }
    units.forEach((u, i) => {
      if (!heads.has(u.name)) return;
      const pair = variant.pairs.get(u.output);
      compare[i]!.quantized.set(variant.key, rename(pair ? pair.dequantized : u.output));
    });
  });

  // The mixes: float + Σ gate · (quantized − float).
  const gatesFloat = gateInput;
  units.forEach((u, i) => {
    let acc = u.output;
    for (const [key, q] of compare[i]!.quantized) {
      const base = `probe/${u.output}/${key}`;
      const idx = `${base}/index`;
      initializers.push(makeTensor(idx, [], BigInt64Array.of(BigInt(gateIndex(i, key)))));
      nodes.push(
        makeNode('Gather', [gatesFloat, idx], [`${base}/gate`], `${base}/Gather`, { axis: 0 }),
        makeNode('Sub', [q, u.output], [`${base}/delta`], `${base}/Sub`),
        makeNode('Mul', [`${base}/gate`, `${base}/delta`], [`${base}/gated`], `${base}/Mul`),
      );
      const next = `${base}/sum`;
      nodes.push(makeNode('Add', [acc, `${base}/gated`], [next], `${base}/Add`));
      acc = next;
    }
    nodes.push(makeNode('Identity', [acc], [mixOf.get(u.output)!], `probe/mix/${u.output}/Identity`));
  });

  const finals = (F.output ?? []).map((v) => ({ output: v.name ?? '', tensor: mixed(v.name ?? '') }));
  const outputs = new Set<string>();
  const graphOutputs = [...(F.output ?? [])];
  for (const v of graphOutputs) outputs.add(v.name ?? '');
  const expose = (name: string): void => {
    if (outputs.has(name)) return;
    outputs.add(name);
    graphOutputs.push(makeValueInfo(name, DataType.FLOAT));
  };
  for (const c of compare) {
    expose(c.float);
    for (const q of c.quantized.values()) expose(q);
  }
  for (const f of finals) expose(f.tensor);

  const graph: GraphProto = cloneShallow(F);
  graph.node = topologicalOrder(nodes, new Set([...graphInputs, ...initializers.map((t) => t.name ?? '')]));
  graph.initializer = initializers;
  graph.input = [...(F.input ?? []), makeValueInfo(gateInput, DataType.FLOAT, [gateCount])];
  graph.output = graphOutputs;
  graph.valueInfo = [...(F.valueInfo ?? [])];
  const proto = cloneShallow(floatProto);
  proto.graph = graph;
  // The quantized copies may use a newer opset or the com.microsoft domain.
  const opsets = new Map<string, NonNullable<ModelProto['opsetImport']>[number]>();
  for (const m of [floatProto, ...variants.map((v) => v.proto)]) {
    for (const o of m.opsetImport ?? []) {
      const known = opsets.get(o.domain ?? '');
      if (!known || Number(known.version) < Number(o.version)) opsets.set(o.domain ?? '', o);
    }
  }
  proto.opsetImport = [...opsets.values()];
  return { proto, gateInput, gateCount, compare, finals, gateIndex };
}

/** Kahn's algorithm over tensor names: nodes whose inputs are all available, in their given order where possible. */
export function topologicalOrder(nodes: NodeProto[], available: Set<string>): NodeProto[] {
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const waiting = new Map<NodeProto, number>();
  const users = new Map<string, NodeProto[]>();
  const ready: NodeProto[] = [];
  for (const n of nodes) {
    // An If/Loop/Scan body may read outer tensors by name: those are inputs of the node too.
    const reads = [...(n.input ?? []), ...subgraphReads(n)];
    const missing = new Set(reads.filter((i) => i && !available.has(i) && producer.has(i)));
    waiting.set(n, missing.size);
    for (const i of missing) users.set(i, [...(users.get(i) ?? []), n]);
    if (missing.size === 0) ready.push(n);
  }
  const out: NodeProto[] = [];
  while (ready.length) {
    const n = ready.shift()!;
    out.push(n);
    for (const o of n.output ?? []) {
      for (const u of users.get(o) ?? []) {
        const left = waiting.get(u)! - 1;
        waiting.set(u, left);
        if (left === 0) ready.push(u);
      }
    }
  }
  if (out.length !== nodes.length) throw new Error('probe model: the graph has a cycle');
  return out;
}

/** Names the subgraphs of a node (If/Loop/Scan bodies, nested) read. */
function subgraphReads(node: NodeProto): string[] {
  const out: string[] = [];
  for (const a of node.attribute ?? []) {
    for (const g of [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]) {
      for (const n of g.node ?? []) out.push(...(n.input ?? []), ...subgraphReads(n));
    }
  }
  return out;
}
