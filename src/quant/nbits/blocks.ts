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
import { nbitsKernels } from './wasm-nbits.js';

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
  /** [n * kBlocks + block]: zero points, or null (symmetric: the implied 2^(bits-1)). */
  zeroPoints: Uint8Array | null;
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

function allocate(k: number, n: number, spec: BlockSpec, withCodes = true): BlockQuantized {
  const kBlocks = kBlocksOf(k, spec.blockSize);
  return {
    k, n, bits: spec.bits, blockSize: spec.blockSize, kBlocks,
    codes: new Uint8Array(withCodes ? n * kBlocks * spec.blockSize : 0),
    scales: new Float32Array(n * kBlocks),
    zeroPoints: spec.symmetric ? null : new Uint8Array(n * kBlocks),
  };
}

/** Fills reciprocal scales and zero points from block ranges, storing scales (and integer zero points) at [index(i)]. */
function fillParams(mins: Float32Array, maxs: Float32Array, count: number, spec: BlockSpec, out: BlockQuantized,
  index: (i: number) => number, recips: Float32Array, zpv: Float32Array): void {
  const zps = out.zeroPoints;
  for (let i = 0; i < count; i++) {
    const p = blockParams(mins[i]!, maxs[i]!, spec);
    const at = index(i);
    out.scales[at] = p.scale;
    if (zps) zps[at] = p.zeroPoint;
    recips[i] = reciprocalOf(p.scale);
    zpv[i] = p.zeroPoint;
  }
}

/**
 * Round-to-nearest quantization of a MatMul weight `w` laid out [K, N] (row
 * major, K the reduction axis), a block row (blockSize rows of K) at a time
 * over contiguous memory: per-column min/max, then the codes. The ranges take
 * 0 in (ORT's quantizer pads the last block with zeros, and widens the range
 * to hold 0 with zero points; for a symmetric block's signed extreme it
 * changes nothing). WebAssembly SIMD does both passes where available.
 */
export function quantizeKMajor(w: Float32Array, k: number, n: number, spec: BlockSpec): BlockQuantized {
  const wasm = nbitsKernels();
  const out = allocate(k, n, spec, !wasm);
  const { codes, kBlocks } = out;
  const bs = spec.blockSize;
  const kPad = kBlocks * bs;
  const qmax = (1 << spec.bits) - 1;
  if (wasm) {
    out.codes = wasm.matrixCodes(w, k, n, bs, qmax, (b, mins, maxs, recips, zps) => fillParams(mins, maxs, n, spec, out, (c) => c * kBlocks + b, recips, zps));
    return out;
  }
  const mn = new Float32Array(n);
  const mx = new Float32Array(n);
  const recip = new Float32Array(n);
  const zpv = new Float32Array(n);
  for (let b = 0; b < kBlocks; b++) {
    const r0 = b * bs;
    const r1 = Math.min(r0 + bs, k);
    mn.fill(0);
    mx.fill(0);
    for (let r = r0; r < r1; r++) {
      const row = r * n;
      for (let c = 0; c < n; c++) {
        const v = w[row + c]!;
        if (v < mn[c]!) mn[c] = v;
        if (v > mx[c]!) mx[c] = v;
      }
    }
    fillParams(mn, mx, n, spec, out, (c) => c * kBlocks + b, recip, zpv);
    for (let r = r0; r < r1; r++) {
      const row = r * n;
      for (let c = 0; c < n; c++) codes[c * kPad + r] = quantizeOne(w[row + c]!, recip[c]!, zpv[c]!, qmax);
    }
    for (let c = 0; c < n; c++) codes.fill(zpv[c]!, c * kPad + r1, c * kPad + r0 + bs);
  }
  return out;
}

/**
 * The same for a matrix laid out [N, K] (each row's K values contiguous): an
 * embedding table quantized along its hidden axis, or a transposed weight.
 * Rows are padded with zeros to whole blocks, as ORT pads.
 */
export function quantizeNMajor(w: Float32Array, n: number, k: number, spec: BlockSpec): BlockQuantized {
  const out = allocate(k, n, spec);
  const { codes, kBlocks } = out;
  const bs = spec.blockSize;
  const kPad = kBlocks * bs;
  const qmax = (1 << spec.bits) - 1;
  const wasm = nbitsKernels();
  // A batch of rows at a time through the kernels: about a million values.
  const batch = Math.max(1, Math.floor((1 << 20) / kPad));
  const padded = new Float32Array(batch * kPad);
  const mn = new Float32Array(batch * kBlocks);
  const mx = new Float32Array(batch * kBlocks);
  const recip = new Float32Array(batch * kBlocks);
  const zpv = new Float32Array(batch * kBlocks);
  for (let row0 = 0; row0 < n; row0 += batch) {
    const rows = Math.min(batch, n - row0);
    const blocks = rows * kBlocks;
    if (kPad === k) padded.set(w.subarray(row0 * k, (row0 + rows) * k));
    else for (let r = 0; r < rows; r++) {
      padded.set(w.subarray((row0 + r) * k, (row0 + r + 1) * k), r * kPad);
      padded.fill(0, r * kPad + k, (r + 1) * kPad);
    }
    const target = codes.subarray(row0 * kPad, (row0 + rows) * kPad);
    const params = (recips: Float32Array, zps: Float32Array): void => fillParams(mn, mx, blocks, spec, out, (i) => row0 * kBlocks + i, recips, zps);
    if (wasm) {
      wasm.blockRuns(padded, blocks, bs, mn, mx, params, qmax, target);
      continue;
    }
    for (let b = 0; b < blocks; b++) {
      let lo = 0;
      let hi = 0;
      for (let i = b * bs; i < (b + 1) * bs; i++) {
        const v = padded[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      mn[b] = lo;
      mx[b] = hi;
    }
    params(recip, zpv);
    for (let b = 0; b < blocks; b++) {
      for (let i = b * bs; i < (b + 1) * bs; i++) target[i] = quantizeOne(padded[i]!, recip[b]!, zpv[b]!, qmax);
    }
  }
  return out;
}

/** The zero point of block `index` as a number (the implied default when symmetric). */
export function zeroPointAt(q: BlockQuantized, index: number): number {
  return q.zeroPoints ? q.zeroPoints[index]! : defaultZeroPoint(q.bits);
}

/** The dequantized matrix, laid out [K, N] like the MatMul weight it stands for, or [N, K] (an embedding table's layout). */
function dequantize(q: BlockQuantized, kMajor: boolean): Float32Array {
  const out = new Float32Array(q.k * q.n);
  const kPad = q.kBlocks * q.blockSize;
  for (let c = 0; c < q.n; c++) {
    for (let r = 0; r < q.k; r++) {
      const b = c * q.kBlocks + Math.floor(r / q.blockSize);
      out[kMajor ? r * q.n + c : c * q.k + r] = Math.fround((q.codes[c * kPad + r]! - zeroPointAt(q, b)) * q.scales[b]!);
    }
  }
  return out;
}

export const dequantizeToKMajor = (q: BlockQuantized): Float32Array => dequantize(q, true);
export const dequantizeToNMajor = (q: BlockQuantized): Float32Array => dequantize(q, false);
