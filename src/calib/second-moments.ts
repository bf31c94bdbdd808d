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
import { toFeeds } from '../data/to-ort.js';
import { exposeTensors, type CalibrationSession } from './calibrate.js';

export interface SecondMoments {
  /** K x K, row major, symmetric. */
  h: Float64Array;
  k: number;
  /** Rows (tokens) folded in. */
  rows: number;
}

/** Adds X^T X of `x` ([rows, k], row major) to `h` (upper triangle computed, mirrored by `mirror`). */
export function accumulateXtX(h: Float64Array, x: Float32Array, k: number): number {
  const rows = Math.floor(x.length / k);
  // Blocks of rows keep the K-wide slices in cache while the K x K triangle is swept.
  const tile = 16;
  for (let r0 = 0; r0 < rows; r0 += tile) {
    const r1 = Math.min(r0 + tile, rows);
    for (let a = 0; a < k; a++) {
      const ha = a * k;
      for (let r = r0; r < r1; r++) {
        const xa = x[r * k + a]!;
        if (xa === 0) continue;
        const xr = r * k;
        for (let b = a; b < k; b++) h[ha + b]! += xa * x[xr + b]!;
      }
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
export async function collectSecondMoments(model: ModelProto, widths: Map<string, number>, elemType: number, dataset: Dataset,
  inputNames: string[], openSession: CalibrationSession, onSample?: (done: number) => void): Promise<Map<string, SecondMoments>> {
  const moments = new Map<string, SecondMoments>();
  const tensors = [...widths.keys()];
  if (tensors.length === 0) return moments;
  for (const [name, k] of widths) moments.set(name, { h: new Float64Array(k * k), k, rows: 0 });
  const session: ort.InferenceSession = await openSession(exposeTensors(model, tensors, elemType));
  try {
    let done = 0;
    for (const sample of dataset.samples()) {
      const outputs = await session.run(toFeeds(sample.inputs, inputNames), tensors);
      for (const name of tensors) {
        const t = outputs[name]!;
        const m = moments.get(name)!;
        const last = t.dims[t.dims.length - 1];
        if (last !== m.k) throw new Error(`tensor '${name}' has last dimension ${last}, expected ${m.k}`);
        const values = t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array);
        m.rows += accumulateXtX(m.h, values, m.k);
        t.dispose();
      }
      onSample?.(++done);
    }
  } finally {
    await session.release();
  }
  for (const m of moments.values()) mirror(m.h, m.k);
  return moments;
}
