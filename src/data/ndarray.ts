// The in-memory n-dimensional array that the calibration readers produce:
// a dtype, a C-order (row-major) shape and a typed array holding the elements.

export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

/** Every typed array an NdArray can hold. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * An array in C order. `data.length` equals `elementCount(shape)`.
 *
 * Storage per dtype (see `typedArrayFor`):
 *  - float16 is a Uint16Array of IEEE half-precision bit patterns, because
 *    Node 20 has no Float16Array; convert where the values are needed.
 *  - bool is a Uint8Array of 0/1 bytes, as numpy stores it.
 *  - int64/uint64 are BigInt64Array/BigUint64Array, so no value loses precision.
 *
 * `data` may be a view into a larger buffer (the file that was read);
 * treat it as read-only unless you made it.
 */
export interface NdArray {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  float16: 2,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
};

/** Number of elements of an array of this shape; 1 for a 0-d (scalar) shape. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A typed array of the storage type of `dtype` over `length` elements of
 * `buffer` starting at `byteOffset`. The offset must be a multiple of the
 * element size (the typed array constructors throw a RangeError otherwise).
 */
export function typedArrayFor(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(buffer, byteOffset, length);
    case 'float64': return new Float64Array(buffer, byteOffset, length);
    case 'float16': return new Uint16Array(buffer, byteOffset, length);
    case 'int8': return new Int8Array(buffer, byteOffset, length);
    case 'uint8': return new Uint8Array(buffer, byteOffset, length);
    case 'bool': return new Uint8Array(buffer, byteOffset, length);
    case 'int16': return new Int16Array(buffer, byteOffset, length);
    case 'uint16': return new Uint16Array(buffer, byteOffset, length);
    case 'int32': return new Int32Array(buffer, byteOffset, length);
    case 'uint32': return new Uint32Array(buffer, byteOffset, length);
    case 'int64': return new BigInt64Array(buffer, byteOffset, length);
    case 'uint64': return new BigUint64Array(buffer, byteOffset, length);
  }
}

/**
 * The sub-array `a[start:end]` along the first axis, sharing `a.data`'s memory
 * (C order makes every first-axis range one contiguous run of elements).
 */
export function sliceFirstAxis(a: NdArray, start: number, end: number): NdArray {
  if (a.shape.length === 0) throw new RangeError('cannot slice a 0-d array');
  const n = a.shape[0];
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= n)) {
    throw new RangeError(`slice [${start}:${end}] is out of range for first axis of length ${n}`);
  }
  const rowElements = elementCount(a.shape.slice(1));
  return {
    dtype: a.dtype,
    shape: [end - start, ...a.shape.slice(1)],
    data: a.data.subarray(start * rowElements, end * rowElements),
  };
}

/** "[1,3,224,224]": how shapes are written in messages. */
export function formatShape(shape: ReadonlyArray<number | string | null>): string {
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}
