// Constructors for protobuf messages: what rewrites and tests use to create
// tensors, nodes, value infos and whole models.
import { DataType } from './dtypes.js';
import { AttributeType, Long, onnx, toLong, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './proto.js';

type Typed = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

const TYPE_OF: Array<[new (...a: never[]) => Typed, number]> = [
  [Float32Array, DataType.FLOAT], [Float64Array, DataType.DOUBLE], [Int8Array, DataType.INT8], [Uint8Array, DataType.UINT8],
  [Int16Array, DataType.INT16], [Uint16Array, DataType.UINT16], [Int32Array, DataType.INT32], [Uint32Array, DataType.UINT32],
  [BigInt64Array, DataType.INT64], [BigUint64Array, DataType.UINT64],
];

/** A tensor with raw_data viewing `data`'s bytes (no copy). `dataType` overrides the array's own (e.g. FLOAT16 in a Uint16Array). */
export function makeTensor(name: string, dims: number[], data: Typed | Uint8Array, dataType?: number): TensorProto {
  const type = dataType ?? TYPE_OF.find(([ctor]) => data instanceof ctor)?.[1];
  if (type === undefined) throw new Error(`makeTensor: unsupported array for ${name}`);
  return new onnx.TensorProto({
    name,
    dims: dims.map((d) => toLong(d)),
    dataType: type,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

export function makeScalarTensor(name: string, value: number, dataType: number): TensorProto {
  switch (dataType) {
    case DataType.FLOAT: return makeTensor(name, [], Float32Array.of(value));
    case DataType.INT64: return makeTensor(name, [], BigInt64Array.of(BigInt(value)));
    case DataType.INT32: return makeTensor(name, [], Int32Array.of(value));
    case DataType.INT8: return makeTensor(name, [], Int8Array.of(value));
    case DataType.UINT8: return makeTensor(name, [], Uint8Array.of(value));
    default: throw new Error(`makeScalarTensor: unsupported type ${dataType}`);
  }
}

export type AttrValue = number | string | number[] | string[] | TensorProto | GraphProto | GraphProto[] | { float: number } | { floats: number[] };

/** An attribute; plain numbers are INT unless wrapped as {float} / {floats}. */
export function makeAttribute(name: string, value: AttrValue): AttributeProto {
  const a = new onnx.AttributeProto({ name });
  if (typeof value === 'number') {
    a.type = AttributeType.INT;
    a.i = toLong(value);
  } else if (typeof value === 'string') {
    a.type = AttributeType.STRING;
    a.s = Buffer.from(value, 'utf8');
  } else if (Array.isArray(value)) {
    if (value.length && typeof value[0] === 'string') {
      a.type = AttributeType.STRINGS;
      a.strings = (value as string[]).map((s) => Buffer.from(s, 'utf8'));
    } else if (value.length && value[0] instanceof onnx.GraphProto) {
      a.type = AttributeType.GRAPHS;
      a.graphs = value as GraphProto[];
    } else {
      a.type = AttributeType.INTS;
      a.ints = (value as number[]).map((v) => toLong(v));
    }
  } else if (value instanceof onnx.TensorProto) {
    a.type = AttributeType.TENSOR;
    a.t = value;
  } else if (value instanceof onnx.GraphProto) {
    a.type = AttributeType.GRAPH;
    a.g = value;
  } else if ('float' in value) {
    a.type = AttributeType.FLOAT;
    a.f = value.float;
  } else if ('floats' in value) {
    a.type = AttributeType.FLOATS;
    a.floats = value.floats;
  }
  return a;
}

export function makeNode(opType: string, inputs: string[], outputs: string[], name?: string,
  attrs: Record<string, AttrValue> = {}, domain?: string): NodeProto {
  const node = new onnx.NodeProto({ opType, input: inputs, output: outputs });
  if (name) node.name = name;
  if (domain) node.domain = domain;
  node.attribute = Object.entries(attrs).map(([k, v]) => makeAttribute(k, v));
  return node;
}

export function makeValueInfo(name: string, elemType: number, shape?: Array<number | string | null>): ValueInfoProto {
  const tensorType: onnx.TypeProto.Tensor.$Properties = { elemType };
  if (shape) {
    tensorType.shape = {
      dim: shape.map((d) => (typeof d === 'number' ? { dimValue: toLong(d) } : typeof d === 'string' ? { dimParam: d } : {})),
    };
  }
  return new onnx.ValueInfoProto({ name, type: { tensorType } });
}

export interface GraphParts {
  name?: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
}

export function makeGraph(parts: GraphParts): GraphProto {
  return new onnx.GraphProto({
    name: parts.name ?? 'graph',
    node: parts.nodes,
    input: parts.inputs,
    output: parts.outputs,
    initializer: parts.initializers ?? [],
    valueInfo: parts.valueInfo ?? [],
  });
}

export function makeModel(graph: GraphProto, opset = 13, irVersion = 8, extraOpsets: Array<{ domain: string; version: number }> = []): ModelProto {
  return new onnx.ModelProto({
    irVersion: toLong(irVersion),
    producerName: 'onnx-quantize',
    graph,
    opsetImport: [{ domain: '', version: toLong(opset) }, ...extraOpsets.map((o) => ({ domain: o.domain, version: toLong(o.version) }))],
  });
}

/** Encodes a model built in memory (small models: tests, fixtures). */
export function encodeModel(model: ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export { Long };
