// An input that fits the model when no sample was given: dynamic dimensions
// become 1, floats are a deterministic spread of values in [-1, 1], integers
// (token ids, indices) and booleans are zero, so lookups stay in range.
import type ort from 'onnxruntime-node';
import { float32ArrayToHalf } from '../onnx/float16.js';
import type { Sample } from './dataset.js';
import type { NdArray } from './ndarray.js';
import { toFeeds } from './to-ort.js';
import type { InputSpec } from './validate.js';
import { transformerSample, type TransformerHints } from './transformer-feeds.js';

const GENERATABLE = new Set(['float32', 'float16', 'float64', 'int64', 'uint64', 'int32', 'uint32', 'int16', 'uint16', 'int8', 'uint8', 'bool']);

/** @throws Error naming the input when its type cannot be generated (string, bfloat16, sequence...). */
export function generatedSample(specs: readonly InputSpec[], hints?: TransformerHints): Sample {
  // Token ids, masks and KV caches get values a transformer accepts (transformer-feeds.ts).
  const transformer = transformerSample(specs, hints);
  if (transformer) return transformer;
  const inputs = new Map<string, NdArray>();
  for (const spec of specs) {
    if (!GENERATABLE.has(spec.dtype)) throw new Error(`input '${spec.name}' is ${spec.dtype}`);
    const shape = spec.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    const floats = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + 1) * 0.9);
    const data = spec.dtype === 'float32' ? floats
      : spec.dtype === 'float16' ? float32ArrayToHalf(floats)
        : spec.dtype === 'float64' ? Float64Array.from(floats)
          : spec.dtype === 'int64' ? new BigInt64Array(n)
            : spec.dtype === 'uint64' ? new BigUint64Array(n)
              : spec.dtype === 'int32' ? new Int32Array(n)
                : spec.dtype === 'uint32' ? new Uint32Array(n)
                  : spec.dtype === 'int16' ? new Int16Array(n)
                    : spec.dtype === 'uint16' ? new Uint16Array(n)
                      : spec.dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
    inputs.set(spec.name, { dtype: spec.dtype, shape, data });
  }
  return { source: '(generated input)', inputs };
}

export function generatedFeeds(specs: readonly InputSpec[], hints?: TransformerHints): Record<string, ort.Tensor> {
  return toFeeds(generatedSample(specs, hints).inputs, specs.map((s) => s.name));
}
