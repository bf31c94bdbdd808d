// Half-Quadratic Quantization (HQQ, Badri & Shaji 2023), data-free: for each
// block, the zero point is refined so that the dequantized weights are close
// to the originals under an l_p norm with p < 1 (robust to the few weights
// that round badly), by alternating a shrinkage step on the error with a
// closed-form zero-point update. The scale stays the min/max one. Parameters
// as in ONNX Runtime's HQQ quantizer: p = 0.7, beta = 10 growing by 1.01 a
// step, at most 20 steps, stopping when the mean absolute error stops
// falling (here block by block, not for the whole tensor at once).
//
// The zero points come out fractional: MatMulNBits takes them as a float
// tensor. Where an integer zero point is needed (INT4 DequantizeLinear),
// `integerZeroPoints` rounds them and the codes are recomputed.
import { storedScale, type BlockQuantized, type NBits } from './blocks.js';

export interface HqqOptions {
  bits: NBits;
  blockSize: number;
  scaleType?: number;
  /** Round the zero points to integers (for INT4 DequantizeLinear). */
  integerZeroPoints?: boolean;
  iterations?: number;
  lpNorm?: number;
  beta?: number;
  kappa?: number;
}

/** Round half to even, as torch.round. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** HQQ of a matrix laid out [N, K] (rows of K contiguous values). */
export function quantizeHqqNMajor(w: Float32Array, n: number, k: number, opts: HqqOptions): BlockQuantized {
  const { bits, blockSize: bs } = opts;
  const qmax = (1 << bits) - 1;
  const p = opts.lpNorm ?? 0.7;
  const iterations = opts.iterations ?? 20;
  const kBlocks = Math.ceil(k / bs);
  const kPad = kBlocks * bs;
  const codes = new Uint8Array(n * kPad);
  const scales = new Float32Array(n * kBlocks);
  const zeros = new Float32Array(n * kBlocks);
  const block = new Float64Array(bs);
  const q = new Float64Array(bs);
  const roundZero = (z: number): number => (opts.integerZeroPoints ? Math.min(qmax, Math.max(0, rint(z))) : z);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < kBlocks; b++) {
      const s0 = row * k + b * bs;
      const len = Math.min(bs, k - b * bs);
      // Padding is zeros, as in ORT's HQQ (torch pad before grouping).
      for (let i = 0; i < bs; i++) block[i] = i < len ? w[s0 + i]! : 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < bs; i++) {
        lo = Math.min(lo, block[i]!);
        hi = Math.max(hi, block[i]!);
      }
      // HQQ works with the inverse scale: q = round(w * s + z).
      const range = hi - lo === 0 ? qmax : hi - lo;
      const s = Math.min(qmax / range, 2e4);
      // The scale is stored rounded (half for FLOAT16 models): optimise against what will be read.
      const scale = storedScale(Math.fround(1 / s), opts.scaleType);
      const sInv = 1 / scale;
      let z = rint(-lo * s);
      let beta = opts.beta ?? 10;
      const kappa = opts.kappa ?? 1.01;
      let best = Infinity;
      let bestZ = z;
      for (let it = 0; it < iterations; it++) {
        let err = 0;
        let sum = 0;
        for (let i = 0; i < bs; i++) {
          const x = block[i]!;
          const c = Math.min(qmax, Math.max(0, rint(x * sInv + z)));
          q[i] = c;
          const r = (c - z) * scale;
          const e = x - r;
          err += Math.abs(e);
          // Shrinkage of the error under the l_p norm (the proximal step).
          const ae = Math.abs(e);
          const shrunk = Math.sign(e) * Math.max(0, ae - (1 / beta) * Math.pow(ae + 1e-8, p - 1));
          sum += c - (x - shrunk) * sInv;
        }
        err /= bs;
        if (err < best) {
          best = err;
          bestZ = z;
        } else break;
        z = sum / bs;
        beta *= kappa;
      }
      z = roundZero(bestZ);
      const zStored = opts.integerZeroPoints ? z : storedScale(Math.fround(z), opts.scaleType);
      scales[row * kBlocks + b] = scale;
      zeros[row * kBlocks + b] = zStored;
      const d0 = row * kPad + b * bs;
      for (let i = 0; i < bs; i++) codes[d0 + i] = i < len ? Math.min(qmax, Math.max(0, rint(block[i]! * sInv + zStored))) : Math.min(qmax, Math.max(0, rint(zStored)));
    }
  }
  const zeroPoints = opts.integerZeroPoints ? Uint8Array.from(zeros) : zeros;
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

