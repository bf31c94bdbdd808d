// Data-free, error-minimising block quantization in the manner of HQQ
// (Half-Quadratic Quantization, Badri & Shaji 2023): no samples, only the
// weights; each block's scale and zero point are chosen to make the
// dequantized block close to the original, instead of taken from its min and
// max as round to nearest does.
//
// Per block, the candidates are:
// - round to nearest's own parameters (ORT's min/max formulas), so the result
//   is never worse than it;
// - the min/max range shrunk by 2.5..25% (clipping the outliers that stretch
//   a block's step for every other weight), each with its rounded zero point
//   and the two next to it;
// - HQQ's refinement of the zero point from the best of those: alternating a
//   shrinkage step on the error under an l_p norm (p = 0.7, robust to the few
//   weights that round badly) with the closed-form zero-point update
//   (beta = 10, growing by 1.01 a step, at most 20 steps, as ORT's HQQ).
// The one with the smallest squared error wins.
//
// Zero points stay integers. MatMulNBits also takes fractional ones (HQQ's
// original form), but ONNX Runtime 1.30 then leaves its fast kernels:
// measured on a 2048 x 2048 weight, one thread, one token: 70 ms against
// 6.4 ms with integer zero points (0.43 ms with accuracy_level 4), more than
// the float MatMul's 8.5 ms. INT4 DequantizeLinear and GatherBlockQuantized
// take integer zero points only anyway.
import { blockParams, quantizeOne, reciprocalOf, storedScale, type BlockQuantized, type NBits } from './blocks.js';

export interface HqqOptions {
  bits: NBits;
  blockSize: number;
  scaleType?: number;
  iterations?: number;
  lpNorm?: number;
}

/** Range factors tried (1 is round to nearest's own range). */
const SHRINK = [0.975, 0.95, 0.925, 0.9, 0.875, 0.85, 0.825, 0.8, 0.775, 0.75];

/** Round half to even, as torch.round. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Squared error of a block quantized with (scale, zero point). */
function blockError(block: Float64Array, len: number, scale: number, zp: number, qmax: number): number {
  const recip = reciprocalOf(scale);
  let e = 0;
  for (let i = 0; i < len; i++) {
    const d = block[i]! - (quantizeOne(block[i]!, recip, zp, qmax) - zp) * scale;
    e += d * d;
  }
  return e;
}

/** HQQ's zero-point refinement at a fixed scale, zero points kept integer; returns the best zero point seen. */
function refineZero(block: Float64Array, len: number, scale: number, zp: number, qmax: number, p: number, iterations: number): number {
  const sInv = scale !== 0 ? 1 / scale : 0;
  let beta = 10;
  let z = zp;
  let best = Infinity;
  let bestZ = zp;
  for (let it = 0; it < iterations; it++) {
    let err = 0;
    let sum = 0;
    for (let i = 0; i < len; i++) {
      const x = block[i]!;
      const c = Math.min(qmax, Math.max(0, rint(x * sInv + z)));
      const e = x - (c - z) * scale;
      const ae = Math.abs(e);
      err += ae;
      // The proximal step of the l_p norm shrinks the error towards zero.
      const shrunk = Math.sign(e) * Math.max(0, ae - (1 / beta) * Math.pow(ae + 1e-8, p - 1));
      sum += c - (x - shrunk) * sInv;
    }
    if (err < best) {
      best = err;
      bestZ = z;
    } else break;
    const next = Math.min(qmax, Math.max(0, rint(sum / len)));
    if (next === z) break;
    z = next;
    beta *= 1.01;
  }
  return bestZ;
}

/** Data-free quantization of a matrix laid out [N, K] (rows of K contiguous values), with zero points. */
export function quantizeHqqNMajor(w: Float32Array, n: number, k: number, opts: HqqOptions): BlockQuantized {
  const { bits, blockSize: bs } = opts;
  const qmax = (1 << bits) - 1;
  const p = opts.lpNorm ?? 0.7;
  const iterations = opts.iterations ?? 20;
  const kBlocks = Math.ceil(k / bs);
  const kPad = kBlocks * bs;
  const codes = new Uint8Array(n * kPad);
  const scales = new Float32Array(n * kBlocks);
  const zeroPoints = new Uint8Array(n * kBlocks);
  const block = new Float64Array(bs);
  const spec = { bits, blockSize: bs, symmetric: false, scaleType: opts.scaleType };
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      const s0 = row * k + b * bs;
      const len = Math.min(bs, k - b * bs);
      let lo = 0;
      let hi = 0;
      for (let i = 0; i < len; i++) {
        block[i] = w[s0 + i]!;
        lo = Math.min(lo, block[i]!);
        hi = Math.max(hi, block[i]!);
      }
      let best = blockParams(lo, hi, spec);
      let bestErr = blockError(block, len, best.scale, best.zeroPoint, qmax);
      for (const f of SHRINK) {
        const c = blockParams(lo * f, hi * f, spec);
        // The rounded zero point and its neighbours: the grid may sit better shifted by a step.
        for (const dz of [0, -1, 1]) {
          const zp = c.zeroPoint + dz;
          if (zp < 0 || zp > qmax) continue;
          const e = blockError(block, len, c.scale, zp, qmax);
          if (e < bestErr) [best, bestErr] = [{ scale: c.scale, zeroPoint: zp }, e];
        }
      }
      const z = refineZero(block, len, best.scale, best.zeroPoint, qmax, p, iterations);
      if (z !== best.zeroPoint) {
        const e = blockError(block, len, best.scale, z, qmax);
        if (e < bestErr) best = { scale: best.scale, zeroPoint: z };
      }
      const scale = storedScale(best.scale, opts.scaleType);
      scales[row * kBlocks + b] = scale;
      zeroPoints[row * kBlocks + b] = best.zeroPoint;
      const recip = reciprocalOf(scale);
      const d0 = row * kPad + b * bs;
      for (let i = 0; i < bs; i++) codes[d0 + i] = i < len ? quantizeOne(block[i]!, recip, best.zeroPoint, qmax) : best.zeroPoint;
    }
  }
  return { k, n, bits, blockSize: bs, kBlocks, codes, scales, zeroPoints };
}

/** A [K, N] weight as [N, K] (HQQ, bnb4 and embedding tables work on rows of K). */
export function transposeKN(w: Float32Array, k: number, n: number): Float32Array {
  const t = new Float32Array(k * n);
  const tile = 64;
  for (let r0 = 0; r0 < k; r0 += tile) {
    const r1 = Math.min(r0 + tile, k);
    for (let c0 = 0; c0 < n; c0 += tile) {
      const c1 = Math.min(c0 + tile, n);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) t[c * k + r] = w[r * n + c]!;
    }
  }
  return t;
}
