// Second moments of activations for error-compensating weight quantization
// (GPTQ): for each tensor X feeding a MatMul, H = X^T X summed over every
// row (token) of every calibration sample, X seen as [rows, K] with K its
// last axis. ONNX Runtime runs the float model with the tensors exposed as
// outputs (as for range calibration); each sample is folded in and dropped,
// so memory holds one K x K matrix per tensor, whatever the sample count.
import ort from 'onnxruntime-node';
import { halfArrayToFloat32 } from '../onnx/float16.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Dataset } from '../data/dataset.js';
import type { NdArray } from '../data/ndarray.js';
import { toFeeds } from '../data/to-ort.js';
import { exposeTensors, type CalibrationSession } from './calibrate.js';

export interface SecondMoments {
  /** K x K, row major, symmetric (emptied once `factor` is computed from it). */
  h: Float64Array;
  k: number;
  /** Rows (tokens) folded in. */
  rows: number;
  /** What GPTQ derives from H (the inverse's Cholesky factor), set by its first user. */
  factor?: { u: Float64Array; dead: Uint8Array };
}

/** Adds X^T X of `x` ([rows, k], row major) to the upper triangle of `h` (`mirror` fills the lower one). */
export function accumulateXtX(h: Float64Array, x: Float32Array, k: number): number {
  const rows = Math.floor(x.length / k);
  // Four rows at a time: one read and write of H per four products.
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const x0 = r * k;
    const x1 = x0 + k;
    const x2 = x1 + k;
    const x3 = x2 + k;
    for (let a = 0; a < k; a++) {
      const a0 = x[x0 + a]!;
      const a1 = x[x1 + a]!;
      const a2 = x[x2 + a]!;
      const a3 = x[x3 + a]!;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const ha = a * k;
      for (let b = a; b < k; b++) h[ha + b]! += a0 * x[x0 + b]! + a1 * x[x1 + b]! + a2 * x[x2 + b]! + a3 * x[x3 + b]!;
    }
  }
  for (; r < rows; r++) {
    const xr = r * k;
    for (let a = 0; a < k; a++) {
      const xa = x[xr + a]!;
      if (xa === 0) continue;
      const ha = a * k;
      for (let b = a; b < k; b++) h[ha + b]! += xa * x[xr + b]!;
    }
  }
  return rows;
}

function mirror(h: Float64Array, k: number): void {
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) h[b * k + a] = h[a * k + b]!;
}

/**
 * X^T X for each named tensor (of element type `elemType`, FLOAT or
 * FLOAT16) over the dataset; `widths` gives each tensor's last-axis size.

 */
export type Accumulate = (h: Float64Array, x: Float32Array, k: number) => number;

export interface SecondMomentOptions {
  onSample?: (done: number) => void;
  /** A faster kernel than the JavaScript one here. */
  accumulate?: Accumulate;
  /** Completes a sample's inputs (a transformer's empty KV cache, say) before it runs. */
  complete?: (inputs: Map<string, NdArray>) => Map<string, NdArray>;
}

export async function collectSecondMoments(model: ModelProto, widths: Map<string, number>, elemType: number, dataset: Dataset,
  inputNames: string[], openSession: CalibrationSession, opts: SecondMomentOptions = {}): Promise<Map<string, SecondMoments>> {
  const accumulate = opts.accumulate ?? accumulateXtX;
  const moments = new Map<string, SecondMoments>();
  const tensors = [...widths.keys()];
  if (tensors.length === 0) return moments;
  for (const [name, k] of widths) moments.set(name, { h: new Float64Array(k * k), k, rows: 0 });
  const session: ort.InferenceSession = await openSession(exposeTensors(model, tensors, elemType));
  try {
    let done = 0;
    for await (const sample of dataset.samples()) {
      const outputs = await session.run(toFeeds(opts.complete ? opts.complete(sample.inputs) : sample.inputs, inputNames), tensors);
      for (const name of tensors) {
        const t = outputs[name]!;
        const m = moments.get(name)!;
        const last = t.dims[t.dims.length - 1];
        if (last !== m.k) throw new Error(`tensor '${name}' has last dimension ${last}, expected ${m.k}`);
        const values = t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array);
        m.rows += accumulate(m.h, values, m.k);
        t.dispose();
      }
      opts.onSample?.(++done);
    }
  } finally {
    await session.release();
  }
  for (const m of moments.values()) mirror(m.h, m.k);
  return moments;
}
