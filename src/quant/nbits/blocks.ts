// Block-wise low-bit quantization of a weight matrix, round to nearest: the
// math of ONNX Runtime's MatMul 4-bit quantizer (MLAS `BlockwiseQuantizer`,
// `quantize_matmul_4bits`), generalised to 2 and 8 bits.
//
// A [K, N] MatMul weight is cut along K into blocks of `blockSize` values of
// one column (one output feature); each block has a scale and a zero point,
// and dequantizes as (code - zero_point) * scale. K is padded to a whole
// number of blocks, as ORT does: the padding quantizes zeros (its codes are
// the zero point), and every reader ignores it.
//
// Facts from ORT's quantizer (q4_dq.cpp), kept here so the codes match it:
// - with zero points: the range is widened to hold 0 (min <= 0 <= max),
//   scale = (max - min) / (2^bits - 1) in float32, zero point =
//   round(-min / scale) clamped to [0, 2^bits - 1];
// - symmetric (no zero point, the default 2^(bits-1) is implied): scale =
//   (the block's value of largest magnitude, with its sign) / -2^(bits-1),
//   so that value lands exactly on code 0 and the other side keeps
//   2^(bits-1) - 1 steps; scales can be negative;
// - code = clamp(roundf(x * (1 / scale) + zero_point)), a float32 multiply
//   by the reciprocal (0 when the scale is 0), rounding half away from zero
//   (C's roundf), not half to even.
import { DataType } from '../../onnx/dtypes.js';
import { float32ToHalfBits, halfBitsToFloat32 } from '../../onnx/float16.js';

export type NBits = 2 | 4 | 8;

export interface BlockSpec {
  bits: NBits;
  blockSize: number;
  /** true: no zero points (the implied 2^(bits-1)), scales carry the sign. */
  symmetric: boolean;
  /** FLOAT16 models store half scales: codes are computed against the rounded scale. */
  scaleType?: number;
}

/** A matrix of N rows ("columns" of the MatMul weight), each K values in blocks. */
export interface BlockQuantized {
  k: number;
  n: number;
  bits: NBits;
  blockSize: number;
  kBlocks: number;
  /** Codes of row n at [n * kPadded + k], 0 .. 2^bits - 1; padding holds the zero point. */
  codes: Uint8Array;
  /** [n * kBlocks + block] */
  scales: Float32Array;
  /** [n * kBlocks + block]: integer zero points, float ones (HQQ), or null (symmetric: 2^(bits-1)). */
  zeroPoints: Uint8Array | Float32Array | null;
}

export const kBlocksOf = (k: number, blockSize: number): number => Math.ceil(k / blockSize);
export const defaultZeroPoint = (bits: number): number => 1 << (bits - 1);

/** The value a scale has once stored in `scaleType` (FLOAT16 rounds). */
export function storedScale(scale: number, scaleType: number | undefined): number {
  return scaleType === DataType.FLOAT16 ? halfBitsToFloat32(float32ToHalfBits(scale)) : scale;
}

/** C's roundf on a non-negative or negative float: half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Scale and zero point of one block from its min and max (ORT's range2scalezp / range2scale). */
export function blockParams(min: number, max: number, spec: BlockSpec): { scale: number; zeroPoint: number } {
  const qmax = (1 << spec.bits) - 1;
  if (spec.symmetric) {
    const extreme = Math.abs(max) > Math.abs(min) ? max : min;
    return { scale: storedScale(Math.fround(extreme / -defaultZeroPoint(spec.bits)), spec.scaleType), zeroPoint: defaultZeroPoint(spec.bits) };
  }
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = Math.fround((hi - lo) / qmax);
  let zp = 0;
  if (scale !== 0) {
    const z = Math.fround(0 - Math.fround(lo / scale));
    zp = z < 0 ? 0 : z > qmax ? qmax : roundHalfAway(z);
  }
  return { scale: storedScale(scale, spec.scaleType), zeroPoint: zp };
}

/** One code: clamp(roundf(x * reciprocal + zp)) in float32, as ORT computes it. */
export function quantizeOne(x: number, reciprocal: number, zeroPoint: number, qmax: number): number {
  const y = Math.fround(Math.fround(x * reciprocal) + zeroPoint);
  const q = Math.floor(y + 0.5); // y < -0.5 clamps to 0 either way
  return q < 0 ? 0 : q > qmax ? qmax : q;
}

export const reciprocalOf = (scale: number): number => (scale !== 0 ? Math.fround(1 / scale) : 0);

function allocate(k: number, n: number, spec: BlockSpec): BlockQuantized {
  const kBlocks = kBlocksOf(k, spec.blockSize);
  return {
    k, n, bits: spec.bits, blockSize: spec.blockSize, kBlocks,
    codes: new Uint8Array(n * kBlocks * spec.blockSize),
    scales: new Float32Array(n * kBlocks),
    zeroPoints: spec.symmetric ? null : new Uint8Array(n * kBlocks),
  };
}

/**
 * Round-to-nearest quantization of a MatMul weight `w` laid out [K, N] (row
 * major, K the reduction axis). Works a block row (blockSize rows of K) at a
 * time over contiguous memory: per-column min/max, then the codes.
 */
export function quantizeKMajor(w: Float32Array, k: number, n: number, spec: BlockSpec): BlockQuantized {
  const out = allocate(k, n, spec);
  const { codes, scales, kBlocks } = out;
  const zps = out.zeroPoints as Uint8Array | null;
  const bs = spec.blockSize;
  const kPad = kBlocks * bs;
  const qmax = (1 << spec.bits) - 1;
  const mn = new Float32Array(n);
  const mx = new Float32Array(n);
  const recip = new Float32Array(n);
  const zpv = new Float32Array(n);
  for (let b = 0; b < kBlocks; b++) {
    const r0 = b * bs;
    const r1 = Math.min(r0 + bs, k);
    mn.fill(Infinity);
    mx.fill(-Infinity);
    for (let r = r0; r < r1; r++) {
      const row = r * n;
      for (let c = 0; c < n; c++) {
        const v = w[row + c]!;
        if (v < mn[c]!) mn[c] = v;
        if (v > mx[c]!) mx[c] = v;
      }
    }
    for (let c = 0; c < n; c++) {
      // Padding rows are zeros in ORT's quantizer: they widen the range to hold 0 (already implied with zero points).
      let lo = mn[c]!;
      let hi = mx[c]!;
      if (r1 - r0 < bs) {
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
      }
      const p = blockParams(lo, hi, spec);
      scales[c * kBlocks + b] = p.scale;
      if (zps) zps[c * kBlocks + b] = p.zeroPoint;
      recip[c] = reciprocalOf(p.scale);
      zpv[c] = p.zeroPoint;
    }
    for (let r = r0; r < r1; r++) {
      const row = r * n;
      for (let c = 0; c < n; c++) codes[c * kPad + r] = quantizeOne(w[row + c]!, recip[c]!, zpv[c]!, qmax);
    }
    for (let r = r1; r < r0 + bs; r++) for (let c = 0; c < n; c++) codes[c * kPad + r] = zpv[c]!;
  }
  return out;
}

/**
 * The same for a matrix laid out [N, K] (each row's K values contiguous): an
 * embedding table quantized along its hidden axis, or a transposed weight.
 */
export function quantizeNMajor(w: Float32Array, n: number, k: number, spec: BlockSpec): BlockQuantized {
  const out = allocate(k, n, spec);
  const { codes, scales, kBlocks } = out;
  const zps = out.zeroPoints as Uint8Array | null;
  const bs = spec.blockSize;
  const kPad = kBlocks * bs;
  const qmax = (1 << spec.bits) - 1;
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      const s0 = row * k + b * bs;
      const len = Math.min(bs, k - b * bs);
      let lo = len < bs ? 0 : Infinity;
      let hi = len < bs ? 0 : -Infinity;
      for (let i = 0; i < len; i++) {
        const v = w[s0 + i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      const p = blockParams(lo, hi, spec);
      scales[row * kBlocks + b] = p.scale;
      if (zps) zps[row * kBlocks + b] = p.zeroPoint;
      const recip = reciprocalOf(p.scale);
      const d0 = row * kPad + b * bs;
      for (let i = 0; i < len; i++) codes[d0 + i] = quantizeOne(w[s0 + i]!, recip, p.zeroPoint, qmax);
      for (let i = len; i < bs; i++) codes[d0 + i] = p.zeroPoint;
    }
  }
  return out;
}

/** The zero point of block `index` as a number (the implied default when symmetric). */
export function zeroPointAt(q: BlockQuantized, index: number): number {
  return q.zeroPoints ? q.zeroPoints[index]! : defaultZeroPoint(q.bits);
}

/** The dequantized matrix, laid out [K, N] like the MatMul weight it stands for. */
export function dequantizeToKMajor(q: BlockQuantized): Float32Array {
  const out = new Float32Array(q.k * q.n);
  const kPad = q.kBlocks * q.blockSize;
  for (let c = 0; c < q.n; c++) {
    for (let r = 0; r < q.k; r++) {
      const b = c * q.kBlocks + Math.floor(r / q.blockSize);
      out[r * q.n + c] = Math.fround((q.codes[c * kPad + r]! - zeroPointAt(q, b)) * q.scales[b]!);
    }
  }
  return out;
}

/** The dequantized matrix laid out [N, K] (an embedding table's layout). */
export function dequantizeToNMajor(q: BlockQuantized): Float32Array {
  const out = new Float32Array(q.k * q.n);
  const kPad = q.kBlocks * q.blockSize;
  for (let c = 0; c < q.n; c++) {
    for (let r = 0; r < q.k; r++) {
      const b = c * q.kBlocks + Math.floor(r / q.blockSize);
      out[c * q.k + r] = Math.fround((q.codes[c * kPad + r]! - zeroPointAt(q, b)) * q.scales[b]!);
    }
  }
  return out;
}
