// Which message fields can hold (transitively) tensor data. Saving walks
// exactly these to find the tensors to stream or move to external data,
// and the chunked encoder splits messages only at these fields.
import { onnx } from './proto.js';

export type Kind = 'model' | 'graph' | 'node' | 'attribute' | 'tensor' | 'sparse' | 'training' | 'function';

export interface ContainerField {
  /** JS property name in the decoded message. */
  key: string;
  /** Protobuf field number (for the tag written in front of it). */
  field: number;
  kind: Kind;
  repeated: boolean;
}

const f = (key: string, field: number, kind: Kind, repeated = false): ContainerField => ({ key, field, kind, repeated });

export const CONTAINER_FIELDS: Record<Exclude<Kind, 'tensor'>, ContainerField[]> = {
  model: [f('graph', 7, 'graph'), f('trainingInfo', 20, 'training', true), f('functions', 25, 'function', true)],
  training: [f('initialization', 1, 'graph'), f('algorithm', 2, 'graph')],
  function: [f('node', 7, 'node', true)],
  graph: [f('node', 1, 'node', true), f('initializer', 5, 'tensor', true), f('sparseInitializer', 15, 'sparse', true)],
  node: [f('attribute', 5, 'attribute', true)],
  attribute: [
    f('t', 5, 'tensor'), f('g', 6, 'graph'), f('tensors', 10, 'tensor', true), f('graphs', 11, 'graph', true),
    f('sparseTensor', 22, 'sparse'), f('sparseTensors', 23, 'sparse', true),
  ],
  sparse: [f('values', 1, 'tensor'), f('indices', 2, 'tensor')],
};

// The generated message classes, for encoding whole messages and for the
// field order (their prototypes list fields in declaration order, which the
// schema keeps equal to field-number order).
export const MESSAGE_CLASS: Record<Kind, { encode(m: object, w?: protobufWriter): protobufWriter; prototype: object }> = {
  model: onnx.ModelProto, graph: onnx.GraphProto, node: onnx.NodeProto, attribute: onnx.AttributeProto,
  tensor: onnx.TensorProto, sparse: onnx.SparseTensorProto, training: onnx.TrainingInfoProto, function: onnx.FunctionProto,
} as never;

type protobufWriter = { finish(): Uint8Array };
