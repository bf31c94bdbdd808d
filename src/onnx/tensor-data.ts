// Reading a tensor's values, wherever they are stored: raw_data (a view into
// the model file, no copy), the typed fields (float_data, int32_data, ...),
// or an external side file. All return the raw_data layout (little endian,
// sub-byte types packed), so callers see one representation.
import { ModelFormatError } from '../errors.js';
import { DataType, byteLength, dtypeName } from './dtypes.js';
import { bfloat16ArrayToFloat32, halfArrayToFloat32 } from './float16.js';
import { isExternal, type ExternalDataStore } from './external-data.js';
import { computedBytes, isComputed } from './computed-tensor.js';
import { int64ToNumber, type TensorProto } from './proto.js';

export function tensorShape(t: TensorProto): number[] {
  return (t.dims ?? []).map(int64ToNumber);
}

export function elementCount(t: TensorProto): number {
  let n = 1;
  for (const d of t.dims ?? []) n *= int64ToNumber(d);
  return n;
}

/** Bytes the tensor's values take in raw_data layout (undefined for strings). */
export function tensorByteLength(t: TensorProto): number | undefined {
  if (t.dataType === DataType.STRING) return undefined;
  return byteLength(t.dataType, elementCount(t));
}

/** Where the tensor's data lives, for reports. */
export function storageOf(t: TensorProto): 'raw' | 'typed' | 'external' | 'computed' | 'empty' {
  if (isExternal(t)) return 'external';
  if (isComputed(t)) return 'computed';
  if (t.rawData && t.rawData.length) return 'raw';
  const typed = [t.floatData, t.int32Data, t.int64Data, t.doubleData, t.uint64Data, t.stringData];
  return typed.some((a) => a && a.length) ? 'typed' : 'empty';
}

export interface TensorSource {
  external?: ExternalDataStore;
  file: string;
}

/** The tensor's bytes in raw_data layout. Inline raw_data is returned as the view it is. */
export function tensorBytes(t: TensorProto, src: TensorSource): Uint8Array {
  const expected = tensorByteLength(t);
  const computed = computedBytes(t);
  if (computed) {
    if (expected !== undefined && computed.length !== expected) {
      throw new Error(`computed tensor '${t.name ?? ''}' gave ${computed.length} bytes for shape [${tensorShape(t).join(',')}] of ${dtypeName(t.dataType)} (${expected} expected)`);
    }
    return computed;
  }
  if (isExternal(t)) {
    if (!src.external) throw new ModelFormatError(src.file, `tensor '${t.name ?? ''}' is external but the model has no folder to read it from`);
    return src.external.read(t, expected);
  }
  let bytes: Uint8Array;
  if (t.rawData && t.rawData.length) bytes = t.rawData;
  else bytes = typedFieldsToBytes(t, src.file);
  if (expected !== undefined && bytes.length !== expected && !(expected === 0 && bytes.length === 0)) {
    throw new ModelFormatError(src.file,
      `tensor '${t.name ?? ''}' holds ${bytes.length} bytes, but its shape [${tensorShape(t).join(',')}] of ${dtypeName(t.dataType)} needs ${expected}`);
  }
  return bytes;
}

function typedFieldsToBytes(t: TensorProto, file: string): Uint8Array {
  const type = t.dataType ?? 0;
  const count = elementCount(t);
  switch (type) {
    case DataType.FLOAT:
    case DataType.COMPLEX64:
      return bytesOf(Float32Array.from(t.floatData ?? []));
    case DataType.DOUBLE:
    case DataType.COMPLEX128:
      return bytesOf(Float64Array.from(t.doubleData ?? []));
    case DataType.INT64:
      return bytesOf(BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(v.toString()))));
    case DataType.UINT32:
      return bytesOf(Uint32Array.from((t.uint64Data ?? []).map((v) => int64ToNumber(v))));
    case DataType.UINT64:
      return bytesOf(BigUint64Array.from((t.uint64Data ?? []).map((v) => BigInt(v.toString()))));
    case DataType.INT32:
      return bytesOf(Int32Array.from(t.int32Data ?? []));
    case DataType.INT16:
      return bytesOf(Int16Array.from(t.int32Data ?? []));
    case DataType.UINT16:
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
      return bytesOf(Uint16Array.from(t.int32Data ?? []));
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
    case DataType.FLOAT8E4M3FN:
    case DataType.FLOAT8E4M3FNUZ:
    case DataType.FLOAT8E5M2:
    case DataType.FLOAT8E5M2FNUZ:
    case DataType.FLOAT8E8M0:
      return Uint8Array.from(t.int32Data ?? [], (v) => v & 0xff);
    case DataType.INT4:
    case DataType.UINT4:
    case DataType.FLOAT4E2M1:
    case DataType.INT2:
    case DataType.UINT2:
      // Sub-byte types keep their packed bytes one per int32_data entry.
      return Uint8Array.from(t.int32Data ?? [], (v) => v & 0xff);
    default:
      if (count === 0) return new Uint8Array(0);
      throw new ModelFormatError(file, `tensor '${t.name ?? ''}' has data type ${dtypeName(type)} that cannot be read as numbers`);
  }
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A typed array over `bytes`, copying only when the view is misaligned. */
export function alignedView<T>(bytes: Uint8Array, ctor: { new (b: ArrayBufferLike, o: number, n: number): T; BYTES_PER_ELEMENT: number }): T {
  const size = ctor.BYTES_PER_ELEMENT;
  if (bytes.byteOffset % size !== 0) bytes = Uint8Array.prototype.slice.call(bytes) as Uint8Array;
  return new ctor(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / size));
}

/**
 * A float tensor's values as float32 (FLOAT as a view when aligned;
 * FLOAT16/BFLOAT16/DOUBLE converted). A misaligned FLOAT tensor is copied:
 * into `scratch` when it is large enough (callers looping over big weights
 * reuse one, instead of leaving a tensor-sized garbage array per weight).
 */
export function tensorToFloat32(t: TensorProto, src: TensorSource, scratch?: Float32Array): Float32Array {
  const bytes = tensorBytes(t, src);
  switch (t.dataType) {
    case DataType.FLOAT:
      if (bytes.byteOffset % 4 !== 0 && scratch && scratch.length >= bytes.byteLength / 4) {
        const out = scratch.subarray(0, bytes.byteLength / 4);
        new Uint8Array(out.buffer, out.byteOffset, bytes.byteLength).set(bytes);
        return out;
      }
      return alignedView(bytes, Float32Array);
    case DataType.FLOAT16:
      return halfArrayToFloat32(alignedView(bytes, Uint16Array));
    case DataType.BFLOAT16:
      return bfloat16ArrayToFloat32(alignedView(bytes, Uint16Array));
    case DataType.DOUBLE:
      return Float32Array.from(alignedView(bytes, Float64Array));
    default:
      throw new ModelFormatError(src.file, `tensor '${t.name ?? ''}' is ${dtypeName(t.dataType)}, not a float type`);
  }
}

/** An integer tensor's values as JS numbers (int64 beyond 2^53 loses precision: callers use it for shapes and axes). */
export function tensorToNumbers(t: TensorProto, src: TensorSource): number[] {
  const bytes = tensorBytes(t, src);
  switch (t.dataType) {
    case DataType.INT64: return Array.from(alignedView(bytes, BigInt64Array), Number);
    case DataType.INT32: return Array.from(alignedView(bytes, Int32Array));
    case DataType.INT8: return Array.from(alignedView(bytes, Int8Array));
    case DataType.UINT8: case DataType.BOOL: return Array.from(bytes);
    case DataType.FLOAT: return Array.from(alignedView(bytes, Float32Array));
    case DataType.DOUBLE: return Array.from(alignedView(bytes, Float64Array));
    default: return Array.from(tensorToFloat32(t, src));
  }
}
