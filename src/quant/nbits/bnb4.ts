// bitsandbytes-style 4-bit weights for com.microsoft MatMulBnb4: the weight
// is transposed to [N, K], flattened, cut into blocks of `blockSize`
// consecutive values (blocks may run across rows), and each value divided by
// its block's absolute maximum is replaced by the nearest of 16 levels: NF4
// (NormalFloat, quantiles of a normal distribution) or FP4 (a 4-bit float
// with exponent bias 3). Codes are packed two per byte, the FIRST value in
// the HIGH nibble (the opposite of MatMulNBits).
//
// The levels and the decision thresholds (midpoints between neighbouring
// levels) are those of ONNX Runtime's blockwise_quant_block_bnb4.h; absmax
// is stored in the weight's float type; values are scaled by the float32
// reciprocal of absmax before the comparison, as there.
import { storedScale } from './blocks.js';

export type Bnb4Type = 'fp4' | 'nf4';
/** MatMulBnb4's quant_type attribute. */
export const BNB4_QUANT_TYPE: Record<Bnb4Type, number> = { fp4: 0, nf4: 1 };

/** Level of each code. */
export const NF4_LEVELS = Float32Array.of(-1, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
  -0.18477343022823334, -0.09105003625154495, 0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634,
  0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1);
export const FP4_LEVELS = Float32Array.of(0, 5.208333333e-3, 0.66666667, 1, 0.33333333, 0.5, 0.16666667, 0.25,
  -0, -5.208333333e-3, -0.66666667, -1, -0.33333333, -0.5, -0.16666667, -0.25);

// NF4: codes are in ascending level order; code = how many thresholds x exceeds.
const NF4_THRESHOLDS = [-0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544, -0.23460740596055984,
  -0.13791173323988914, -0.045525018125772476, 0.03979014977812767, 0.1202552504837513, 0.2035212516784668, 0.2920137718319893,
  0.3893125355243683, 0.5016634166240692, 0.6427869200706482, 0.8614784181118011];
// FP4: a sign bit (8) and a magnitude code; magnitudes in ascending order with their codes.
const FP4_MAGNITUDE_CODES = [0b000, 0b001, 0b110, 0b111, 0b100, 0b101, 0b010, 0b011];
const FP4_THRESHOLDS = [0.00260417, 0.0859375, 0.20833333, 0.29166667, 0.4166667, 0.583333, 0.8333333];

function countAbove(x: number, thresholds: readonly number[]): number {
  let i = 0;
  while (i < thresholds.length && x > Math.fround(thresholds[i]!)) i++;
  return i;
}

export function quantizeOneBnb4(x: number, type: Bnb4Type): number {
  if (type === 'nf4') return countAbove(x, NF4_THRESHOLDS);
  const sign = x < 0 ? 8 : 0;
  return sign + FP4_MAGNITUDE_CODES[countAbove(Math.abs(x), FP4_THRESHOLDS)]!;
}

export interface Bnb4Quantized {
  k: number;
  n: number;
  blockSize: number;
  type: Bnb4Type;
  /** [ceil(N * K / 2)] */
  packed: Uint8Array;
  /** [ceil(N * K / blockSize)] */
  absmax: Float32Array;
}

/**
 * Quantizes a MatMul weight given as its transpose [N, K] (row n holds output
 * feature n's K inputs: exactly the flattened order MatMulBnb4 reads);
 * `scaleType` FLOAT16 rounds absmax to half first.
 */
export function quantizeBnb4NMajor(wt: Float32Array, n: number, k: number, blockSize: number, type: Bnb4Type, scaleType?: number): Bnb4Quantized {
  const numel = k * n;
  const blocks = Math.ceil(numel / blockSize);
  const absmax = new Float32Array(blocks);
  const packed = new Uint8Array(Math.ceil(numel / 2));
  const zeroCode = quantizeOneBnb4(0, type);
  for (let b = 0; b < blocks; b++) {
    const f0 = b * blockSize;
    const f1 = Math.min(f0 + blockSize, numel);
    let m = 0;
    for (let f = f0; f < f1; f++) {
      const a = Math.abs(wt[f]!);
      if (a > m) m = a;
    }
    const stored = storedScale(m, scaleType);
    absmax[b] = stored;
    const recip = stored ? Math.fround(1 / stored) : 0;
    for (let f = f0; f < f1; f += 2) {
      const hi = quantizeOneBnb4(Math.fround(wt[f]! * recip), type);
      const lo = f + 1 < f1 ? quantizeOneBnb4(Math.fround(wt[f + 1]! * recip), type) : zeroCode;
      packed[f >> 1] = (hi << 4) | lo;
    }
  }
  return { k, n, blockSize, type, packed, absmax };
}

/** The dequantized weight, laid out [K, N]. */
export function dequantizeBnb4(q: Bnb4Quantized): Float32Array {
  const levels = q.type === 'nf4' ? NF4_LEVELS : FP4_LEVELS;
  const out = new Float32Array(q.k * q.n);
  for (let f = 0; f < q.k * q.n; f++) {
    const byte = q.packed[f >> 1]!;
    const code = f & 1 ? byte & 0xf : byte >> 4;
    out[(f % q.k) * q.n + Math.floor(f / q.k)] = Math.fround(levels[code]! * q.absmax[Math.floor(f / q.blockSize)]!);
  }
  return out;
}
