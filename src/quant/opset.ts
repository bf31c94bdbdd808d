// Raising a model's default-domain opset (per-channel DequantizeLinear needs
// 13; FLOAT16 scales need 19). Raised only as far as needed, and only when
// every op either means the same at the new opset or is converted here
// (attributes that became inputs). Otherwise the caller quantizes per tensor
// at the current opset and says why.
import { makeTensor } from '../onnx/build.js';
import { allGraphs, type GraphScope } from '../onnx/graph-walk.js';
import { int64ToNumber, toLong, type ModelProto, type NodeProto } from '../onnx/proto.js';
import { attrFloat, attrInt, attrInts, nodeLabel, removeAttr } from './graph-edit.js';

export function defaultOpset(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return entry ? int64ToNumber(entry.version) : 1;
}

type Conversion = (node: NodeProto, scope: GraphScope, add: (base: string, t: (name: string) => ReturnType<typeof makeTensor>) => string) => void;

interface OpChange {
  /** The opset at which the op's signature or meaning changed. */
  at: number;
  /** How to convert a node to the new form; undefined: cannot be converted (a blocker). */
  convert?: Conversion;
  /** When conversion is only sometimes possible: the reason it is not, or undefined. */
  blocker?: (node: NodeProto, rankOf: (name: string) => number | undefined) => string | undefined;
}

const int64s = (values: number[]) => (name: string) => makeTensor(name, [values.length], BigInt64Array.from(values.map(BigInt)));

/** An attribute that became an int64 input (Squeeze axes, Split split, Reduce* axes...). */
function attrToInput(attr: string, position: number): Conversion {
  return (node, _scope, add) => {
    const values = attrInts(node, attr);
    removeAttr(node, attr);
    const inputs = [...(node.input ?? [])];
    while (inputs.length < position) inputs.push('');
    if (values) inputs[position] = add(`${node.name || node.opType}_${attr}`, int64s(values));
    node.input = inputs.slice(0, Math.max(position + (values ? 1 : 0), node.input?.length ?? 0));
  };
}

const softmaxBlocker = (node: NodeProto, rankOf: (name: string) => number | undefined): string | undefined => {
  // Before 13 Softmax flattened the input to 2-D at `axis`; from 13 it works
  // along `axis` only. The same thing only when axis is the last dimension.
  const axis = attrInt(node, 'axis', 1);
  const rank = rankOf(node.input![0]!);
  if (axis === -1) return undefined;
  if (rank !== undefined && (axis === rank - 1 || axis - rank === -1)) return undefined;
  return `${nodeLabel(node)}: axis ${axis} on an input of ${rank === undefined ? 'unknown' : rank} rank means something else from opset 13`;
};

const CHANGES: Record<string, OpChange[]> = {
  Slice: [{ at: 10, convert: (node, _s, add) => {
    const starts = attrInts(node, 'starts') ?? [];
    const ends = attrInts(node, 'ends') ?? [];
    const axes = attrInts(node, 'axes');
    for (const a of ['starts', 'ends', 'axes']) removeAttr(node, a);
    const base = node.name || 'slice';
    node.input = [node.input![0]!, add(`${base}_starts`, int64s(starts)), add(`${base}_ends`, int64s(ends)),
      ...(axes ? [add(`${base}_axes`, int64s(axes))] : [])];
  } }],
  TopK: [{ at: 10, convert: (node, _s, add) => {
    const k = attrInt(node, 'k', 1);
    removeAttr(node, 'k');
    node.input = [node.input![0]!, add(`${node.name || 'topk'}_k`, int64s([k]))];
  } }],
  Upsample: [{ at: 10 }],
  Scatter: [{ at: 11 }],
  Clip: [{ at: 11, convert: (node, _s, add) => {
    const min = attrFloat(node, 'min', -3.4028234663852886e38);
    const max = attrFloat(node, 'max', 3.4028234663852886e38);
    removeAttr(node, 'min');
    removeAttr(node, 'max');
    const base = node.name || 'clip';
    node.input = [node.input![0]!, add(`${base}_min`, (n) => makeTensor(n, [], Float32Array.of(min))),
      add(`${base}_max`, (n) => makeTensor(n, [], Float32Array.of(max)))];
  }, blocker: () => undefined }],
  Pad: [{ at: 11, convert: (node, _s, add) => {
    const pads = attrInts(node, 'pads') ?? [];
    const value = attrFloat(node, 'value', 0);
    removeAttr(node, 'pads');
    removeAttr(node, 'value');
    const base = node.name || 'pad';
    node.input = [node.input![0]!, add(`${base}_pads`, int64s(pads)), add(`${base}_value`, (n) => makeTensor(n, [], Float32Array.of(value)))];
  } }],
  Dropout: [{ at: 12, convert: (node) => {
    // Inference: Dropout is Identity (its mask output is refused by the blocker).
    node.opType = 'Identity';
    node.attribute = [];
    node.input = [node.input![0]!];
  }, blocker: (node) => ((node.output ?? []).filter(Boolean).length > 1 ? `${nodeLabel(node)}: its mask output is used` : undefined) }],
  Squeeze: [{ at: 13, convert: attrToInput('axes', 1) }],
  Unsqueeze: [{ at: 13, convert: attrToInput('axes', 1) }],
  Split: [{ at: 13, convert: attrToInput('split', 1) }],
  ReduceSum: [{ at: 13, convert: attrToInput('axes', 1) }],
  Softmax: [{ at: 13, blocker: softmaxBlocker, convert: () => undefined }],
  LogSoftmax: [{ at: 13, blocker: softmaxBlocker, convert: () => undefined }],
  Hardmax: [{ at: 13, blocker: softmaxBlocker, convert: () => undefined }],
  Resize: [{ at: 13, blocker: (node) => {
    const a = (node.attribute ?? []).find((x) => x.name === 'coordinate_transformation_mode');
    return a?.s && Buffer.from(a.s).toString() === 'tf_half_pixel_for_nn' ? `${nodeLabel(node)}: tf_half_pixel_for_nn was removed at opset 13` : undefined;
  }, convert: () => undefined }],
};
for (const op of ['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']) {
  CHANGES[op] = [{ at: 18, convert: attrToInput('axes', 1) }];
}

export interface UpgradeCheck {
  ok: boolean;
  blockers: string[];
}

function rankLookup(model: ModelProto, hints?: Map<string, number>): (name: string) => number | undefined {
  const ranks = new Map<string, number>(hints ?? []);
  for (const scope of allGraphs(model)) {
    for (const v of [...(scope.graph.input ?? []), ...(scope.graph.output ?? []), ...(scope.graph.valueInfo ?? [])]) {
      const shape = v.type?.tensorType?.shape;
      if (shape && !ranks.has(v.name ?? '')) ranks.set(v.name ?? '', (shape.dim ?? []).length);
    }
    for (const t of scope.graph.initializer ?? []) if (!ranks.has(t.name ?? '')) ranks.set(t.name ?? '', (t.dims ?? []).length);
  }
  return (name) => ranks.get(name);
}

function changesBetween(node: NodeProto, from: number, to: number): OpChange[] {
  if (node.domain && node.domain !== 'ai.onnx') return [];
  return (CHANGES[node.opType ?? ''] ?? []).filter((c) => c.at > from && c.at <= to);
}

/** Whether every node of every graph can be carried from `from` to `to`. */
export function checkOpsetUpgrade(model: ModelProto, from: number, to: number, rankHints?: Map<string, number>): UpgradeCheck {
  const blockers: string[] = [];
  const rankOf = rankLookup(model, rankHints);
  for (const scope of allGraphs(model)) {
    for (const node of scope.graph.node ?? []) {
      for (const change of changesBetween(node, from, to)) {
        const reason = change.blocker ? change.blocker(node, rankOf) : change.convert ? undefined : `${nodeLabel(node)}: ${node.opType} changed at opset ${change.at}`;
        if (reason) blockers.push(reason);
      }
    }
  }
  return { ok: blockers.length === 0, blockers };
}

/** Converts the nodes and sets the opset import; call only after checkOpsetUpgrade said ok. */
export function upgradeOpset(model: ModelProto, from: number, to: number, uniqueName: (base: string) => string): number {
  let converted = 0;
  for (const scope of allGraphs(model)) {
    const add = (base: string, make: (name: string) => ReturnType<typeof makeTensor>): string => {
      const name = uniqueName(base);
      (scope.graph.initializer ??= []).push(make(name));
      return name;
    };
    for (const node of scope.graph.node ?? []) {
      for (const change of changesBetween(node, from, to)) {
        change.convert?.(node, scope, add);
        converted++;
      }
    }
  }
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (entry) entry.version = toLong(to);
  else (model.opsetImport ??= []).push({ domain: '', version: toLong(to) });
  const ir = minimumIrVersion(to);
  if (int64ToNumber(model.irVersion) < ir) model.irVersion = toLong(ir);
  return converted;
}

/** The IR version that onnx released with each opset (a model must not claim an opset newer than its IR). */
export function minimumIrVersion(opset: number): number {
  if (opset <= 8) return 3;
  if (opset <= 10) return 5;
  if (opset <= 12) return 7;
  if (opset <= 13) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

/** Inputs of the ops whose meaning at a new opset depends on their rank (for a probe run to measure). */
export function rankSensitiveInputs(model: ModelProto): string[] {
  const names: string[] = [];
  for (const scope of allGraphs(model)) {
    if (scope.depth > 0) continue;
    for (const n of scope.graph.node ?? []) {
      if (['Softmax', 'LogSoftmax', 'Hardmax'].includes(n.opType ?? '') && !n.domain && n.input?.[0]) names.push(n.input[0]);
    }
  }
  return names;
}
