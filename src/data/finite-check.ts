// A sample holding NaN or infinity poisons calibration silently: one NaN and
// one Inf in one of 64 samples took the digits example's cosine from 0.99997
// to 0.9935, with exit 0. Every float input is checked as it is read.
import type { NdArray } from './ndarray.js';
import { halfBitsToFloat32 } from '../onnx/float16.js';

/** The first non-finite element of a float array: its flat index and value, or undefined. */
export function firstNonFinite(a: NdArray): { index: number; value: number } | undefined {
  if (a.dtype === 'float32' || a.dtype === 'float64') {
    const d = a.data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      // v - v is NaN for NaN and ±Infinity, 0 otherwise: one comparison per element.
      if (v - v !== 0) return { index: i, value: v };
    }
  } else if (a.dtype === 'float16') {
    const d = a.data as Uint16Array;
    // Exponent bits all ones: Inf or NaN.
    for (let i = 0; i < d.length; i++) if ((d[i]! & 0x7c00) === 0x7c00) return { index: i, value: halfBitsToFloat32(d[i]!) };
  }
  return undefined;
}

/** "[0,2,5]": a flat index as a multi-index of the shape, for messages. */
export function multiIndex(flat: number, shape: readonly number[]): string {
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]!;
    if (d > 0) {
      idx[k] = flat % d;
      flat = Math.floor(flat / d);
    }
  }
  return `[${idx.join(',')}]`;
}
