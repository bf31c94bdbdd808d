// GPTQ (Frantar et al. 2022): error-compensating quantization from the
// second moments of a MatMul's input. With H = X^T X over the calibration
// activations X [tokens, K], the output error of a weight error dW is
// tr(dW^T H dW); GPTQ quantizes the K rows of the [K, N] weight one at a
// time and spreads each row's rounding error over the rows not yet
// quantized, in the proportions the inverse Hessian says minimise it:
//   err = (w_i - q(w_i)) / U[i,i];  w_j -= U[i,j] * err  for j > i,
// where U is the upper Cholesky factor of H^-1. Block scales and zero
// points (the same formulas as round to nearest) are taken when a block's
// first row is reached, from the weights as updated so far, so the grid
// follows the compensated weights. Updates are applied lazily in chunks of
// 128 rows (the paper's batching; the result is the same).
//
// Dampening: H += 1% of its mean diagonal (rows no sample ever activated
// get H[i,i] = 1 and a zero weight, as the reference does).
import { blockParams, quantizeOne, reciprocalOf, type BlockQuantized, type BlockSpec } from './blocks.js';

export interface GptqOptions extends BlockSpec {
  /** Fraction of the mean diagonal added to H (default 0.01). */
  dampPercent?: number;
  /** Rows per lazy update (default 128). */
  chunk?: number;
}

/** In-place Cholesky of a symmetric positive definite K x K matrix (lower triangle L, H = L L^T); false if not positive definite. */
export function choleskyLower(a: Float64Array, k: number): boolean {
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j]!;
    for (let p = 0; p < j; p++) d -= a[j * k + p]! * a[j * k + p]!;
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j]!;
      const ri = i * k;
      const rj = j * k;
      for (let p = 0; p < j; p++) s -= a[ri + p]! * a[rj + p]!;
      a[ri + j] = s / ljj;
    }
    for (let p = j + 1; p < k; p++) a[j * k + p] = 0;
  }
  return true;
}

/** L^-1 of a lower-triangular L, row by row (each row a combination of the rows above: contiguous reads). */
function invertLower(l: Float64Array, k: number): Float64Array {
  const x = new Float64Array(k * k);
  const acc = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    acc.fill(0, 0, i);
    for (let p = 0; p < i; p++) {
      const c = l[i * k + p]!;
      if (c === 0) continue;
      const row = p * k;
      for (let j = 0; j <= p; j++) acc[j]! += c * x[row + j]!;
    }
    const d = l[i * k + i]!;
    for (let j = 0; j < i; j++) x[i * k + j] = -acc[j]! / d;
    x[i * k + i] = 1 / d;
  }
  return x;
}

/**
 * U, the upper Cholesky factor of the dampened H^-1 (H^-1 = U^T U), as GPTQ
 * uses it; `dead` lists the rows no sample activated. H is not modified.
 * With P the index reversal: if P H P = L L^T, then H^-1 = U^T U for
 * U = P L^-1 P: one Cholesky and one triangular inverse.
 */
export function inverseHessianFactor(hessian: Float64Array, k: number, dampPercent = 0.01): { u: Float64Array; dead: Uint8Array } {
  const dead = new Uint8Array(k);
  let mean = 0;
  for (let i = 0; i < k; i++) {
    if (hessian[i * k + i] === 0) dead[i] = 1;
    mean += dead[i] ? 1 : hessian[i * k + i]!;
  }
  mean /= k;
  // More dampening until H is positive definite (a rank-deficient H with few samples).
  for (let damp = dampPercent * mean; ; damp *= 10) {
    const a = new Float64Array(k * k);
    for (let i = 0; i < k; i++) {
      const src = (k - 1 - i) * k;
      for (let j = 0; j < k; j++) a[i * k + j] = hessian[src + (k - 1 - j)]!;
      a[i * k + i] = (dead[k - 1 - i] ? 1 : a[i * k + i]!) + damp;
    }
    if (!choleskyLower(a, k)) continue;
    const x = invertLower(a, k);
    const u = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = i; j < k; j++) u[i * k + j] = x[(k - 1 - i) * k + (k - 1 - j)]!;
    return { u, dead };
  }
}

/** The factor GPTQ works with, or the Hessian to compute it from (MatMuls that share an input share it). */
export type HessianOrFactor = Float64Array | { u: Float64Array; dead: Uint8Array };

/** GPTQ of a MatMul weight laid out [K, N] with the Hessian of its input (K x K, row major) or its factor. */
export function quantizeGptqKMajor(w: Float32Array, k: number, n: number, hessian: HessianOrFactor, opts: GptqOptions): BlockQuantized {
  const { u, dead } = hessian instanceof Float64Array ? inverseHessianFactor(hessian, k, opts.dampPercent ?? 0.01) : hessian;
  const bs = opts.blockSize;
  const kBlocks = Math.ceil(k / bs);
  const kPad = kBlocks * bs;
  const qmax = (1 << opts.bits) - 1;
  const work = Float64Array.from(w);
  for (let i = 0; i < k; i++) if (dead[i]) work.fill(0, i * n, (i + 1) * n);
  const codes = new Uint8Array(n * kPad);
  const scales = new Float32Array(n * kBlocks);
  const zeroPoints = opts.symmetric ? null : new Uint8Array(n * kBlocks);
  const recip = new Float64Array(n);
  const zp = new Float64Array(n);
  const scale = new Float64Array(n);
  const chunk = Math.max(bs, Math.floor((opts.chunk ?? 128) / bs) * bs);
  const errors = new Float64Array(chunk * n);
  for (let c0 = 0; c0 < k; c0 += chunk) {
    const c1 = Math.min(c0 + chunk, k);
    for (let i = c0; i < c1; i++) {
      if (i % bs === 0) {
        const b = i / bs;
        const r1 = Math.min(i + bs, k);
        for (let c = 0; c < n; c++) {
          let lo = r1 - i < bs ? 0 : Infinity;
          let hi = r1 - i < bs ? 0 : -Infinity;
          for (let r = i; r < r1; r++) {
            const v = Math.fround(work[r * n + c]!);
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          const p = blockParams(lo, hi, opts);
          scales[c * kBlocks + b] = p.scale;
          if (zeroPoints) zeroPoints[c * kBlocks + b] = p.zeroPoint;
          scale[c] = p.scale;
          recip[c] = reciprocalOf(p.scale);
          zp[c] = p.zeroPoint;
          for (let r = r1; r < i + bs; r++) codes[c * kPad + r] = p.zeroPoint;
        }
      }
      const d = u[i * k + i]!;
      const row = i * n;
      const e = (i - c0) * n;
      for (let c = 0; c < n; c++) {
        const x = work[row + c]!;
        const code = quantizeOne(Math.fround(x), recip[c]!, zp[c]!, qmax);
        codes[c * kPad + i] = code;
        const dq = Math.fround((code - zp[c]!) * scale[c]!);
        errors[e + c] = (x - dq) / d;
      }
      // Spread this row's error over the rest of the chunk now.
      for (let j = i + 1; j < c1; j++) {
        const f = u[i * k + j]!;
        if (f === 0) continue;
        const rj = j * n;
        for (let c = 0; c < n; c++) work[rj + c]! -= f * errors[e + c]!;
      }
    }
    // And over the rows after the chunk, all at once.
    for (let j = c1; j < k; j++) {
      const rj = j * n;
      for (let i = c0; i < c1; i++) {
        const f = u[i * k + j]!;
        if (f === 0) continue;
        const e = (i - c0) * n;
        for (let c = 0; c < n; c++) work[rj + c]! -= f * errors[e + c]!;
      }
    }
  }
  return { k, n, bits: opts.bits, blockSize: bs, kBlocks, codes, scales, zeroPoints };
}
