// Integer ranges of the quantized types, as onnxruntime's get_qmin_qmax_for_qType
// (quant_utils.py) returns them, and the typed arrays that hold each type.

export type QuantType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32';
export type QuantizedArray = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

export interface RangeOptions {
  /** ORT's `symmetric`: signed weights default to it (is_weight_symmetric). */
  symmetric: boolean;
  /** ORT's `reduce_range`: one bit less, for u8×s8 kernels that saturate without VNNI. */
  reduceRange: boolean;
}

export interface QRange {
  qmin: number;
  qmax: number;
}

// ONNX_INT_TYPE_RANGE: everything a type can hold. QuantizeLinear (and ORT's
// quantize_nparray) clip to this, whatever range the scale was computed for.
const FULL: Record<QuantType, QRange> = {
  int8: { qmin: -128, qmax: 127 },
  uint8: { qmin: 0, qmax: 255 },
  int16: { qmin: -32768, qmax: 32767 },
  uint16: { qmin: 0, qmax: 65535 },
  int32: { qmin: -2147483648, qmax: 2147483647 },
};

// ONNX_INT_TYPE_SYMMETRIC_RANGE: one code dropped so the range is symmetric about the zero point.
const SYMMETRIC: Partial<Record<QuantType, QRange>> = {
  int8: { qmin: -127, qmax: 127 },
  uint8: { qmin: 0, qmax: 254 },
  int16: { qmin: -32767, qmax: 32767 },
  uint16: { qmin: 0, qmax: 65534 },
};

// ONNX_INT_TYPE_REDUCED_RANGE. Note the signed ones are symmetric and include +64 / +16384
// (129 and 32769 codes): that is what ORT has, and what models quantized by it carry.
const REDUCED: Partial<Record<QuantType, QRange>> = {
  int8: { qmin: -64, qmax: 64 },
  uint8: { qmin: 0, qmax: 127 },
  int16: { qmin: -16384, qmax: 16384 },
  uint16: { qmin: 0, qmax: 32767 },
};

/**
 * The [qmin, qmax] that scale and zero point are computed for. Same precedence as ORT:
 * reduce_range wins over symmetric; otherwise symmetric picks the symmetric range.
 *
 * int32 is not in ORT's tables (its bias path uses np.iinfo(int32) directly): here it
 * gives the full int32 range and refuses reduceRange, for which ORT has no answer either.
 */
export function qRange(type: QuantType, opts: RangeOptions): QRange {
  if (type === 'int32') {
    if (opts.reduceRange) throw new RangeError('reduceRange is not defined for int32');
    return { ...FULL.int32 };
  }
  const r = opts.reduceRange ? REDUCED[type] : opts.symmetric ? SYMMETRIC[type] : FULL[type];
  if (r === undefined) throw new RangeError(`no quantization range for ${type}`);
  return { ...r };
}

/** Everything the type can hold: the clip range of QuantizeLinear. */
export function typeRange(type: QuantType): QRange {
  const r = FULL[type];
  if (r === undefined) throw new RangeError(`unknown quantized type ${String(type)}`);
  return { ...r };
}

/** A zeroed typed array of `length` elements of `type`. */
export function newQuantizedArray(type: QuantType, length: number): QuantizedArray {
  switch (type) {
    case 'int8':
      return new Int8Array(length);
    case 'uint8':
      return new Uint8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'int32':
      return new Int32Array(length);
    default:
      throw new RangeError(`unknown quantized type ${String(type)}`);
  }
}
