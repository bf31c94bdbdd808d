// ONNX tensor element types: names, storage size and the typed array that
// holds them in raw_data layout.

export const DataType = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8,
  BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15,
  BFLOAT16: 16, FLOAT8E4M3FN: 17, FLOAT8E4M3FNUZ: 18, FLOAT8E5M2: 19, FLOAT8E5M2FNUZ: 20,
  UINT4: 21, INT4: 22, FLOAT4E2M1: 23, FLOAT8E8M0: 24, UINT2: 25, INT2: 26,
} as const;

interface DTypeInfo {
  name: string;
  /** Bits per element in raw_data (4-bit and 2-bit types pack several per byte). */
  bits: number;
  /** The ONNX Runtime / JS tensor type name, where onnxruntime-node has one. */
  ortType?: string;
}

const TABLE: Record<number, DTypeInfo> = {
  1: { name: 'float32', bits: 32, ortType: 'float32' },
  2: { name: 'uint8', bits: 8, ortType: 'uint8' },
  3: { name: 'int8', bits: 8, ortType: 'int8' },
  4: { name: 'uint16', bits: 16, ortType: 'uint16' },
  5: { name: 'int16', bits: 16, ortType: 'int16' },
  6: { name: 'int32', bits: 32, ortType: 'int32' },
  7: { name: 'int64', bits: 64, ortType: 'int64' },
  8: { name: 'string', bits: 0, ortType: 'string' },
  9: { name: 'bool', bits: 8, ortType: 'bool' },
  10: { name: 'float16', bits: 16, ortType: 'float16' },
  11: { name: 'float64', bits: 64, ortType: 'float64' },
  12: { name: 'uint32', bits: 32, ortType: 'uint32' },
  13: { name: 'uint64', bits: 64, ortType: 'uint64' },
  14: { name: 'complex64', bits: 64 },
  15: { name: 'complex128', bits: 128 },
  16: { name: 'bfloat16', bits: 16 },
  17: { name: 'float8e4m3fn', bits: 8 },
  18: { name: 'float8e4m3fnuz', bits: 8 },
  19: { name: 'float8e5m2', bits: 8 },
  20: { name: 'float8e5m2fnuz', bits: 8 },
  21: { name: 'uint4', bits: 4 },
  22: { name: 'int4', bits: 4 },
  23: { name: 'float4e2m1', bits: 4 },
  24: { name: 'float8e8m0', bits: 8 },
  25: { name: 'uint2', bits: 2 },
  26: { name: 'int2', bits: 2 },
};

export function dtypeName(type: number | null | undefined): string {
  return TABLE[type ?? 0]?.name ?? `type${type ?? 0}`;
}

export function dtypeBits(type: number | null | undefined): number {
  return TABLE[type ?? 0]?.bits ?? 0;
}

export function ortTypeOf(type: number | null | undefined): string | undefined {
  return TABLE[type ?? 0]?.ortType;
}

export function dtypeFromOrtType(name: string): number | undefined {
  for (const [id, info] of Object.entries(TABLE)) if (info.ortType === name || info.name === name) return Number(id);
  return undefined;
}

/** Bytes taken by `count` elements in raw_data (sub-byte types round up). */
export function byteLength(type: number | null | undefined, count: number): number {
  return Math.ceil((count * dtypeBits(type)) / 8);
}

export const isFloatType = (t: number | null | undefined): boolean =>
  t === DataType.FLOAT || t === DataType.FLOAT16 || t === DataType.DOUBLE || t === DataType.BFLOAT16;
