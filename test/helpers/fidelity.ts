// Output comparison for tests: cosine similarity and a float32 view of an
// output tensor (FLOAT16 outputs converted), written plainly, independent of
// the metrics module under test.
import type ort from 'onnxruntime-node';
import { halfArrayToFloat32 } from '../../src/onnx/float16.js';

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb);
}

export const asFloat = (t: ort.Tensor): Float32Array => (t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array));
