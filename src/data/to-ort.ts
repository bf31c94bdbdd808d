// Sample arrays to ONNX Runtime tensors (same bytes, no copy).
import ort from 'onnxruntime-node';
import type { DType, NdArray } from './ndarray.js';

/** An NdArray as an ONNX Runtime tensor of the same dtype and shape, sharing its data. */
export function ndArrayToTensor(a: NdArray): ort.Tensor {
  // Every NdArray dtype has an ORT type of the same name and storage
  // (float16: Uint16Array of half bits; bool: Uint8Array of 0/1).
  const type: DType = a.dtype;
  return new ort.Tensor(type, a.data as ort.Tensor.DataTypeMap[typeof type], a.shape);
}

/** Feeds for the named inputs (names missing from the sample are left out). */
export function toFeeds(inputs: Map<string, NdArray>, names: readonly string[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names) {
    const a = inputs.get(name);
    if (a) feeds[name] = ndArrayToTensor(a);
  }
  return feeds;
}
