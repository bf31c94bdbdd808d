// Float32 model → float16 model: weights and computation in float16, with
// float32 kept where it must be, and every Cast placed once per value (right
// after the value is made), never once per use.
//
// Per node, one decision: float16, or float32 with a reason:
// - the op has no float16 form (kernels.ts; with target 'cpu' also the ops
//   ONNX Runtime's CPU provider has no float16 kernel for);
// - shape arithmetic: float values computed from Shape/Size that end in an
//   integer (Shape → Cast → Mul → Floor → Cast to int64, as exporters write
//   Resize sizes) stay float32, so sizes come out exactly as before;
// - overflow: a value measured past float16's range on a sample (overflow.ts);
// - --exclude and runtime fallbacks (node names or op types);
// - If/Loop/Scan: their bodies convert like graphs of their own whose inputs
//   and outputs stay float32.
// Values then follow their producer. Initializers and Constant tensors follow
// their consumers: float16 when all of them run float16, float32 when none
// does, and both copies when they disagree. Graph inputs and outputs stay
// float32 with keepIoTypes (the default), else become float16.
import { makeAttribute, makeNode, makeTensor } from '../../onnx/build.js';
import { DataType } from '../../onnx/dtypes.js';
import { elementTypes } from '../../onnx/elem-types.js';
import { GraphIndex } from '../../onnx/graph-index.js';
import type { GraphScope } from '../../onnx/graph-walk.js';
import type { Model } from '../../onnx/model.js';
import { cloneMessage } from '../../onnx/clone.js';
import { toLong, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/proto.js';
import { blockReason, type Fp16Target } from './kernels.js';
import { toHalfTensor } from './half-tensor.js';
import { elementCount } from '../../onnx/tensor-data.js';

const FLOAT = DataType.FLOAT;
const HALF = DataType.FLOAT16;

export interface Fp16Options {
  /** Float32 graph inputs and outputs (default true); false: float16 ones. */
  keepIoTypes?: boolean;
  /** 'portable' (default) or 'cpu' (see kernels.ts). */
  target?: Fp16Target;
  /** Node names or op types kept float32. */
  exclude?: string[];
  /** Values measured past float16's range (overflow.ts): their producers stay float32. */
  overflowing?: Set<string>;
}

export interface Fp16Outcome {
  proto: ModelProto;
  /** Created node → the original nodes it serves (for runtime fallbacks). */
  origin: Map<string, string[]>;
  /** Nodes left float32, grouped by reason. */
  float32: Map<string, string[]>;
  /** Nodes that run float16. */
  float16Nodes: number;
  casts: number;
  notes: string[];
}

/** Ops whose float input is read whatever its type: no Cast is needed in front of them. */
const TYPE_AGNOSTIC_INPUT = new Set(['Shape', 'Size', 'Cast']);
/** Outputs whose type is fixed float32 whatever the op computes in (LayerNormalization's mean and inverse std). */
const FIXED_FLOAT_OUTPUTS: Record<string, number[]> = { LayerNormalization: [1, 2], SkipLayerNormalization: [1, 2], SkipSimplifiedLayerNormalization: [1, 2] };
const CONTROL_FLOW = new Set(['If', 'Loop', 'Scan']);
/** Ops that only move or select values: they run in the precision their data arrives in. */
const FOLLOWS_INPUT = new Set(['Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Split', 'Concat', 'Slice', 'Gather', 'GatherElements',
  'GatherND', 'Expand', 'Flatten', 'Identity', 'Tile', 'Pad', 'DepthToSpace', 'SpaceToDepth']);
/** Constants of at least this many elements are weights: always stored float16. */
const WEIGHT_ELEMENTS = 64;

export function convertToFloat16(model: Model, opts: Fp16Options = {}): Fp16Outcome {
  const proto = cloneMessage(model.proto);
  const keepIo = opts.keepIoTypes ?? true;
  const target = opts.target ?? 'portable';
  const exclude = new Set(opts.exclude ?? []);
  const types = elementTypes(proto);
  const index = new GraphIndex(proto);
  const isFloat = (name: string): boolean => !!name && types.get(name) === FLOAT;
  const notes: string[] = [];

  // Constant values: initializers, and Constant nodes with a tensor value.
  const constants = new Set<string>(index.initializer.keys());
  for (const scope of index.scopes) {
    for (const n of scope.graph.node ?? []) if (n.opType === 'Constant' && !n.domain) constants.add(n.output?.[0] ?? '');
  }

  // Shape arithmetic: values computed from Shape/Size (and constants) only,
  // whose float ones end in integers.
  const shapeDerived = new Set<string>();
  for (const scope of index.scopes) {
    for (const n of scope.graph.node ?? []) {
      if (n.opType === 'Shape' || n.opType === 'Size') {
        for (const o of n.output ?? []) shapeDerived.add(o);
        continue;
      }
      const ins = (n.input ?? []).filter(Boolean);
      if (ins.length && ins.some((i) => shapeDerived.has(i)) && ins.every((i) => shapeDerived.has(i) || constants.has(i))) {
        for (const o of n.output ?? []) shapeDerived.add(o);
      }
    }
  }
  // A float shape-derived value is shape arithmetic when everything it feeds is integer-bound.
  const integerBound = new Map<string, boolean>();
  const boundsToInteger = (name: string, depth = 0): boolean => {
    const known = integerBound.get(name);
    if (known !== undefined) return known;
    if (depth > 64 || index.isGraphOutput(name)) return false;
    integerBound.set(name, false); // cycles (none in valid graphs) end here
    const uses = index.usesOf(name);
    const result = uses.length > 0 && uses.every(({ node }) => {
      const outs = (node.output ?? []).filter(Boolean);
      return outs.every((o) => !isFloat(o) ? types.has(o) : shapeDerived.has(o) && boundsToInteger(o, depth + 1));
    });
    integerBound.set(name, result);
    return result;
  };

  // Per node: float16, or float32 with a reason.
  const float32 = new Map<string, string[]>();
  const runsHalf = new Set<NodeProto>();
  // Float values that are float16 after conversion (node outputs decided in graph order, constants later).
  const halfValues = new Set<string>();
  if (!keepIo) for (const v of proto.graph!.input ?? []) if (isFloat(v.name ?? '') && !index.initializer.has(v.name ?? '')) halfValues.add(v.name ?? '');
  const nodeName = (n: NodeProto) => n.name || `${n.opType}(${(n.output ?? [])[0] ?? ''})`;
  const keep = (n: NodeProto, reason: string) => {
    const list = float32.get(reason) ?? [];
    list.push(nodeName(n));
    float32.set(reason, list);
  };
  for (const scope of index.scopes) {
    for (const n of scope.graph.node ?? []) {
      const op = n.opType ?? '';
      const outs = (n.output ?? []).filter(Boolean);
      const ins = (n.input ?? []).filter(Boolean);
      const touchesFloat = [...outs, ...ins].some(isFloat) || (op === 'Cast' && outs.some(isFloat));
      if (!touchesFloat) continue;
      if (exclude.has(n.name ?? '') || exclude.has(op)) { keep(n, 'excluded (--exclude or a runtime fallback)'); continue; }
      if (CONTROL_FLOW.has(op) && !n.domain) { keep(n, 'control flow: its body converts with float32 inputs and outputs'); continue; }
      const blocked = blockReason(op, n.domain ?? '', target);
      if (blocked) { keep(n, blocked); continue; }
      const floatOuts = outs.filter(isFloat);
      if (floatOuts.length && floatOuts.every((o) => shapeDerived.has(o) && boundsToInteger(o))) { keep(n, 'shape arithmetic (ends in integers)'); continue; }
      if (floatOuts.some((o) => opts.overflowing?.has(o))) { keep(n, 'a value past float16\'s range on the sample'); continue; }
      if (op === 'Constant') continue; // decided by its consumers below
      // Data movement follows its data: float32 in, float32 out, and no Cast
      // between float32 neighbours (what keeps the 'cpu' target cast-free).
      const data = ins.filter((i) => isFloat(i) && !constants.has(i));
      if (FOLLOWS_INPUT.has(op) && !n.domain && data.length && !data.some((i) => halfValues.has(i))) { keep(n, 'data movement of float32 values'); continue; }
      runsHalf.add(n);
      const fixed = FIXED_FLOAT_OUTPUTS[op] ?? [];
      outs.forEach((o, i) => {
        if (isFloat(o) && !fixed.includes(i)) halfValues.add(o);
      });
    }
  }
  const mainGraph = proto.graph!;

  // What each use of a float value wants: float16 in float16 nodes, float32 elsewhere.
  const wants = (node: NodeProto, inputIndex: number): number | undefined => {
    if (TYPE_AGNOSTIC_INPUT.has(node.opType ?? '') && inputIndex === 0) return undefined;
    return runsHalf.has(node) ? HALF : FLOAT;
  };

  // Constants follow their consumers.
  const origin = new Map<string, string[]>();
  let clampedBig = 0;
  const clampedIn: string[] = [];
  let clampedTiny = 0;
  const halfCopies = new Map<string, string>();
  const convertedConstants = new Set<string>();
  for (const name of constants) {
    if (!isFloat(name)) continue;
    const uses = index.usesOf(name);
    const wanted = uses.map((u) => wants(u.node, u.index)).filter((w) => w !== undefined);
    const init = index.initializer.get(name);
    const producer = index.producer.get(name)?.node;
    const original: TensorProto | undefined = init?.tensor ?? producer?.attribute?.find((a) => a.name === 'value')?.t ?? undefined;
    if (!original || index.isGraphOutput(name)) continue; // value_float(s) Constants: left to a Cast
    // Weights are stored float16 whoever reads them (float32 readers get a
    // Cast of the initializer, which ONNX Runtime folds when it loads the
    // model); small constants (epsilons, scalars) follow their readers.
    const weight = elementCount(original) >= WEIGHT_ELEMENTS;
    if (!wanted.includes(HALF) && !weight) continue;
    const all = weight || wanted.every((w) => w === HALF);
    const newName = all ? name : index.uniqueName(`${name}_fp16`);
    const half = toHalfTensor(original, model, newName);
    if (half.clampedBig) { clampedBig += half.clampedBig; clampedIn.push(name); }
    clampedTiny += half.clampedTiny;
    if (init) {
      const list = init.scope.graph.initializer!;
      if (all) list[list.indexOf(init.tensor)] = half.tensor;
      else list.push(half.tensor);
    } else if (producer) {
      if (all) producer.attribute!.find((a) => a.name === 'value')!.t = half.tensor;
      else {
        const copy = makeNode('Constant', [], [newName], index.uniqueName(`${producer.name || name}_fp16`), { value: half.tensor });
        insertAfter(index, producer, copy);
      }
    }
    convertedConstants.add(name);
    if (all) halfValues.add(name);
    else {
      halfCopies.set(name, newName);
      for (const u of uses) if (wants(u.node, u.index) === HALF) u.node.input![u.index] = newName;
    }
  }
  if (clampedBig) notes.push(`${clampedBig} constant value(s) past ±10000 clamped to ±10000 (mask sentinels, usually) in ${clampedIn.slice(0, 4).join(', ')}${clampedIn.length > 4 ? ', …' : ''}`);
  if (clampedTiny) notes.push(`${clampedTiny} nonzero constant value(s) below float16's smallest subnormal raised to it`);

  // Nodes that run float16 now say so in their attributes: Cast to float, ConstantOfShape's value.
  for (const n of runsHalf) {
    if (n.opType === 'Cast') {
      const to = n.attribute?.find((a) => a.name === 'to');
      if (to && Number(to.i) === FLOAT) to.i = toLong(HALF);
    }
    if (n.opType === 'ConstantOfShape') {
      const value = n.attribute?.find((a) => a.name === 'value');
      if (value?.t) value.t = toHalfTensor(value.t, model).tensor;
      else n.attribute = [...(n.attribute ?? []), makeAttribute('value', makeTensor('value', [1], new Uint16Array(1), HALF))];
    }
  }

  // Casts where a use wants the other type: one per value and target type,
  // placed right after the value is made, in the graph that makes it.
  let casts = 0;
  const castOf = new Map<string, { output: string; serves: string[] }>();
  const castFor = (value: string, to: number, served: string): string => {
    const key = `${value}|${to}`;
    let made = castOf.get(key);
    if (!made) {
      const suffix = to === HALF ? 'fp16' : 'fp32';
      made = { output: index.uniqueName(`${value}_${suffix}`), serves: [] };
      const cast = makeNode('Cast', [value], [made.output], index.uniqueName(`${value}_Cast_${suffix}`), { to });
      placeAfterProducer(index, value, cast);
      castOf.set(key, made);
      // A Cast that fails is blamed on the nodes it feeds.
      origin.set(cast.name!, made.serves);
      casts++;
    }
    made.serves.push(served);
    return made.output;
  };
  // Graph outputs: float32 kept in bodies always, in the main graph with keepIoTypes.
  for (const scope of index.scopes) {
    const keepHere = scope.depth > 0 || keepIo;
    for (const v of scope.graph.output ?? []) {
      const name = v.name ?? '';
      if (!halfValues.has(name)) continue;
      if (!keepHere) {
        if (v.type?.tensorType) v.type.tensorType.elemType = HALF;
        continue;
      }
      // The producer writes a renamed float16 value; a Cast writes the output's name.
      const renamed = index.uniqueName(`${name}_fp16`);
      renameValue(index, scope, name, renamed);
      halfValues.add(renamed);
      types.set(renamed, FLOAT);
      const cast = makeNode('Cast', [renamed], [name], index.uniqueName(`${name}_Cast_fp32`), { to: FLOAT });
      placeAfterProducer(index, renamed, cast);
      // Uses that want float32 read the output itself rather than a second Cast.
      castOf.set(`${renamed}|${FLOAT}`, { output: name, serves: [] });
      origin.set(cast.name!, castOf.get(`${renamed}|${FLOAT}`)!.serves);
      casts++;
    }
  }
  for (const scope of index.scopes) {
    for (const n of [...(scope.graph.node ?? [])]) {
      (n.input ?? []).forEach((name, i) => {
        if (!isFloat(name) || halfCopies.has(name)) return;
        const want = wants(n, i);
        if (want === undefined) return;
        const has = halfValues.has(name) ? HALF : FLOAT;
        if (has !== want) n.input![i] = castFor(name, want, nodeName(n));
      });
    }
  }

  if (!keepIo) {
    for (const v of mainGraph.input ?? []) {
      if (halfValues.has(v.name ?? '') && v.type?.tensorType) v.type.tensorType.elemType = HALF;
    }
  }
  // value_info entries follow the values' new types.
  for (const scope of index.scopes) {
    for (const v of scope.graph.valueInfo ?? []) {
      if (halfValues.has(v.name ?? '') && v.type?.tensorType?.elemType === FLOAT) v.type.tensorType.elemType = HALF;
    }
  }
  for (const n of runsHalf) origin.set(n.name ?? '', [n.name ?? '']);
  // Float32 initializers that only their float16 copies replace now are dropped.
  const read = new Set(index.scopes.flatMap((s) => [...(s.graph.node ?? []).flatMap((n) => n.input ?? []), ...(s.graph.output ?? []).map((v) => v.name ?? '')]));
  for (const scope of index.scopes) {
    const g = scope.graph;
    if (g.initializer) g.initializer = g.initializer.filter((t) => !halfCopies.has(t.name ?? '') || read.has(t.name ?? ''));
  }
  return { proto, origin, float32, float16Nodes: runsHalf.size, casts, notes };
}

/** Inserts `node` right after `after` in after's graph. */
function insertAfter(index: GraphIndex, after: NodeProto, node: NodeProto): void {
  const graph = index.scopeOf.get(after)!.graph;
  const list = graph.node!;
  list.splice(list.indexOf(after) + 1, 0, node);
  index.scopeOf.set(node, index.scopeOf.get(after)!);
}

/** Places `node` (reading `value`) after value's producer, or first in the graph that holds value as input or initializer. */
function placeAfterProducer(index: GraphIndex, value: string, node: NodeProto): void {
  const producer = index.producer.get(value);
  if (producer) {
    insertAfter(index, producer.node, node);
    return;
  }
  const init = index.initializer.get(value);
  const scope: GraphScope = init?.scope ?? index.scopes.find((s) => (s.graph.input ?? []).some((v) => v.name === value)) ?? index.scopes[0]!;
  (scope.graph.node ??= []).unshift(node);
  index.scopeOf.set(node, scope);
}

/** Renames the value `from` (a graph output of `scope`) to `to` at its producer and every use. */
function renameValue(index: GraphIndex, scope: GraphScope, from: string, to: string): void {
  const producer = index.producer.get(from);
  if (producer) {
    producer.node.output![producer.index] = to;
    index.producer.set(to, producer);
  } else {
    // An output that is a graph input or initializer passed straight through: an Identity makes the new name.
    (scope.graph.node ??= []).unshift(makeNode('Identity', [from], [to], index.uniqueName(`${from}_Identity`)));
    return;
  }
  for (const u of index.usesOf(from)) if (u.node.input![u.index] === from) u.node.input![u.index] = to;
}

export type { GraphProto };
