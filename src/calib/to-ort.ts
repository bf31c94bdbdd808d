// Sample arrays to ONNX Runtime tensors (same bytes, no copy).
import ort from 'onnxruntime-node';
import type { NdArray } from './ndarray.js';

export function toOrtTensor(a: NdArray): ort.Tensor {
  const type = a.dtype === 'float64' ? 'float64' : a.dtype;
  return new ort.Tensor(type as never, a.data as never, a.shape);
}

export function toFeeds(inputs: Map<string, NdArray>, names: readonly string[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names) {
    const a = inputs.get(name);
    if (a) feeds[name] = toOrtTensor(a);
  }
  return feeds;
}
