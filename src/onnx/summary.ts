// What `quantize inspect` reports about a model: a plain data structure, the
// CLI formats it as a table or JSON.
import { basename } from 'node:path';
import { dtypeName } from './dtypes.js';
import { allGraphs } from './graph-walk.js';
import { isExternal, parseExternalRef } from './external-data.js';
import type { Model } from './model.js';
import { int64ToNumber, type TensorProto, type TypeProto, type ValueInfoProto } from './proto.js';
import { elementCount, tensorByteLength } from './tensor-data.js';

export interface ValueSummary {
  name: string;
  type: string;
  shape: Array<number | string | null> | null;
}

export interface ModelSummary {
  file: string;
  fileBytes: number;
  irVersion: number;
  producer: { name: string; version: string };
  domain: string;
  modelVersion: number;
  opsets: Array<{ domain: string; version: number }>;
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  nodes: number;
  subgraphs: number;
  ops: Array<{ op: string; count: number; inSubgraphs: number }>;
  weights: Array<{ dtype: string; count: number; bytes: number; elements: number }>;
  weightBytes: number;
  constantNodes: number;
  externalData: Array<{ file: string; tensors: number; bytes: number }>;
  functions: number;
  metadata: Record<string, string>;
}

export function describeType(type: TypeProto | null | undefined): { type: string; shape: ValueSummary['shape'] } {
  if (!type) return { type: 'unknown', shape: null };
  if (type.tensorType) {
    const t = type.tensorType;
    const shape = t.shape ? (t.shape.dim ?? []).map((d) =>
      d.dimValue != null && Object.prototype.hasOwnProperty.call(d, 'dimValue') ? int64ToNumber(d.dimValue)
        : d.dimParam ? d.dimParam : null) : null;
    return { type: dtypeName(t.elemType), shape };
  }
  if (type.sequenceType) return { type: `seq(${describeType(type.sequenceType.elemType).type})`, shape: null };
  if (type.mapType) return { type: `map(${dtypeName(type.mapType.keyType)},${describeType(type.mapType.valueType).type})`, shape: null };
  if (type.optionalType) return { type: `optional(${describeType(type.optionalType.elemType).type})`, shape: null };
  if (type.sparseTensorType) return { type: `sparse(${dtypeName(type.sparseTensorType.elemType)})`, shape: null };
  return { type: 'unknown', shape: null };
}

function valueSummary(v: ValueInfoProto): ValueSummary {
  return { name: v.name ?? '', ...describeType(v.type) };
}

export function summarizeModel(model: Model): ModelSummary {
  const proto = model.proto;
  const graph = proto.graph!;
  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const ops = new Map<string, { count: number; inSubgraphs: number }>();
  const weights = new Map<string, { count: number; bytes: number; elements: number }>();
  const external = new Map<string, { tensors: number; bytes: number }>();
  let nodes = 0;
  let constantNodes = 0;

  const addWeight = (t: TensorProto): void => {
    const dtype = dtypeName(t.dataType);
    const entry = weights.get(dtype) ?? { count: 0, bytes: 0, elements: 0 };
    entry.count++;
    const n = elementCount(t);
    entry.elements += n;
    entry.bytes += tensorByteLength(t) ?? (t.stringData ?? []).reduce((s, b) => s + b.length, 0);
    weights.set(dtype, entry);
    if (isExternal(t)) {
      try {
        const ref = parseExternalRef(t, model.file);
        const e = external.get(ref.location) ?? { tensors: 0, bytes: 0 };
        e.tensors++;
        e.bytes += ref.length >= 0 ? ref.length : tensorByteLength(t) ?? 0;
        external.set(ref.location, e);
      } catch {
        // load() already refused broken references; a hand-built model just is not counted.
      }
    }
  };

  const scopes = allGraphs(proto);
  for (const scope of scopes) {
    for (const t of scope.graph.initializer ?? []) addWeight(t);
    for (const s of scope.graph.sparseInitializer ?? []) if (s.values) addWeight(s.values);
    for (const node of scope.graph.node ?? []) {
      nodes++;
      const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:${node.opType ?? ''}` : node.opType ?? '';
      const entry = ops.get(key) ?? { count: 0, inSubgraphs: 0 };
      entry.count++;
      if (scope.depth > 0) entry.inSubgraphs++;
      ops.set(key, entry);
      if (node.opType === 'Constant' && !node.domain) {
        constantNodes++;
        for (const a of node.attribute ?? []) {
          if (a.t) addWeight(a.t);
          if (a.sparseTensor?.values) addWeight(a.sparseTensor.values);
        }
      }
    }
  }

  const metadata: Record<string, string> = {};
  for (const e of proto.metadataProps ?? []) metadata[e.key ?? ''] = e.value ?? '';

  return {
    file: model.file,
    fileBytes: model.fileSize,
    irVersion: int64ToNumber(proto.irVersion),
    producer: { name: proto.producerName ?? '', version: proto.producerVersion ?? '' },
    domain: proto.domain ?? '',
    modelVersion: int64ToNumber(proto.modelVersion),
    opsets: (proto.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: int64ToNumber(o.version) })),
    inputs: (graph.input ?? []).filter((v) => !initNames.has(v.name)).map(valueSummary),
    outputs: (graph.output ?? []).map(valueSummary),
    nodes,
    subgraphs: scopes.length - 1,
    ops: [...ops].map(([op, v]) => ({ op, ...v })).sort((a, b) => b.count - a.count || a.op.localeCompare(b.op)),
    weights: [...weights].map(([dtype, v]) => ({ dtype, ...v })).sort((a, b) => b.bytes - a.bytes),
    weightBytes: [...weights.values()].reduce((s, w) => s + w.bytes, 0),
    constantNodes,
    externalData: [...external].map(([file, v]) => ({ file: basename(file) === file ? file : file, ...v })),
    functions: (proto.functions ?? []).length,
    metadata,
  };
}
