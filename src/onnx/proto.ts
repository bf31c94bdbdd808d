// The one module that touches the generated protobuf code: it re-exports the
// message classes and gives the rest of the code short type names.
import Long from 'long';
import protobuf from 'protobufjs/minimal.js';
import { onnx } from './generated/onnx.js';

// int64 fields must decode to Long: a JS number would silently lose values
// beyond 2^53 (INT64_MAX in Slice ends is common), breaking lossless saves.
protobuf.util.Long = Long;
protobuf.configure();
// Fields this schema does not know are kept ($unknowns) and written back, so
// a model from a newer exporter within the same IR loses nothing on the way.
protobuf.Reader.discardUnknown = false;

export { onnx, Long };
export type ModelProto = onnx.ModelProto.$Properties;
export type GraphProto = onnx.GraphProto.$Properties;
export type NodeProto = onnx.NodeProto.$Properties;
export type TensorProto = onnx.TensorProto.$Properties;
export type SparseTensorProto = onnx.SparseTensorProto.$Properties;
export type AttributeProto = onnx.AttributeProto.$Properties;
export type ValueInfoProto = onnx.ValueInfoProto.$Properties;
export type TypeProto = onnx.TypeProto.$Properties;
export type FunctionProto = onnx.FunctionProto.$Properties;
export type StringStringEntryProto = onnx.StringStringEntryProto.$Properties;

export const AttributeType = onnx.AttributeProto.AttributeType;
export const DataLocation = onnx.TensorProto.DataLocation;

/** The newest IR version this schema knows; newer models are refused, not trimmed. */
export const MAX_IR_VERSION = 12;

/** An int64 field as a JS number (exact up to 2^53; the callers use it for dims and small values). */
export function int64ToNumber(v: Long | number | null | undefined): number {
  if (v == null) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function toLong(v: number | bigint): Long {
  return typeof v === 'bigint' ? Long.fromString(v.toString()) : Long.fromNumber(v);
}
