// Shapes of chosen tensors on one sample: what the quantization cost rule
// needs (multiply-adds per activation element) and the opset check (a
// Softmax's input rank) when shapes are dynamic or not recorded in the model.
import type ort from 'onnxruntime-node';
import type { ModelProto } from '../onnx/proto.js';
import type { NdArray } from '../data/ndarray.js';
import { exposeTensors, type CalibrationSession } from './calibrate.js';
import { toFeeds } from '../data/to-ort.js';

export async function probeShapes(model: ModelProto, tensors: string[], elemType: number, inputs: Map<string, NdArray>,
  inputNames: string[], openSession: CalibrationSession): Promise<Map<string, number[]>> {
  const counts = new Map<string, number[]>();
  if (tensors.length === 0) return counts;
  const session: ort.InferenceSession = await openSession(exposeTensors(model, tensors, elemType));
  try {
    const outputs = await session.run(toFeeds(inputs, inputNames), tensors);
    for (const name of tensors) {
      const t = outputs[name];
      if (!t) continue;
      counts.set(name, [...t.dims]);
      t.dispose();
    }
  } finally {
    await session.release();
  }
  return counts;
}
