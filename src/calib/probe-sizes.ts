// Shapes of chosen tensors on one sample: what the quantization cost rule
// needs (multiply-adds per activation element), the opset check (a
// Softmax's input rank) and the memory grouping (bytes per tensor), when
// shapes are dynamic or not recorded in the model. Read through Shape nodes,
// so only small int64 vectors leave the runtime, whatever the tensors' size.
import type ort from 'onnxruntime-node';
import type { ModelProto } from '../onnx/proto.js';
import type { NdArray } from '../data/ndarray.js';
import type { CalibrationSession } from './calibrate.js';
import { exposeShapes } from './reduce-outputs.js';
import { toFeeds } from '../data/to-ort.js';

export async function probeShapes(model: ModelProto, tensors: string[], _elemType: number, inputs: Map<string, NdArray>,
  inputNames: string[], openSession: CalibrationSession): Promise<Map<string, number[]>> {
  const counts = new Map<string, number[]>();
  if (tensors.length === 0) return counts;
  const { model: probe, outputs } = exposeShapes(model, tensors);
  const session: ort.InferenceSession = await openSession(probe);
  try {
    const result = await session.run(toFeeds(inputs, inputNames), [...outputs.values()].flat());
    for (const [name, [out]] of outputs) {
      const t = result[out!];
      if (!t) continue;
      counts.set(name, Array.from(t.data as BigInt64Array, Number));
      t.dispose();
    }
  } finally {
    await session.release();
  }
  return counts;
}
