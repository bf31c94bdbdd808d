// MinMax calibration: ONNX Runtime runs the float model with the tensors to
// calibrate exposed as extra graph outputs; each sample's min and max are
// folded into running values and the outputs dropped, so memory does not
// grow with the number of samples.
import ort from 'onnxruntime-node';
import { makeValueInfo } from '../onnx/build.js';
import { halfArrayToFloat32 } from '../onnx/float16.js';
import type { ModelProto } from '../onnx/proto.js';
import { cloneShallow } from '../onnx/walk-tensors.js';
import type { Dataset } from './dataset.js';
import { toFeeds } from './to-ort.js';

export interface Range {
  min: number;
  max: number;
}

export type CalibrationSession = (model: ModelProto) => Promise<ort.InferenceSession>;

/** A copy of `model` whose graph also outputs `tensors` (of the given element type). */
export function exposeTensors(model: ModelProto, tensors: string[], elemType: number): ModelProto {
  const graph = cloneShallow(model.graph!);
  const existing = new Set((graph.output ?? []).map((v) => v.name));
  graph.output = [...(graph.output ?? []), ...tensors.filter((t) => !existing.has(t)).map((t) => makeValueInfo(t, elemType))];
  const copy = cloneShallow(model);
  copy.graph = graph;
  return copy;
}

export async function calibrateMinMax(
  model: ModelProto, tensors: string[], elemType: number, dataset: Dataset, inputNames: string[],
  openSession: CalibrationSession, onSample?: (done: number) => void,
): Promise<Map<string, Range>> {
  const ranges = new Map<string, Range>();
  if (tensors.length === 0) return ranges; // weight-only plans calibrate nothing
  const session = await openSession(exposeTensors(model, tensors, elemType));
  try {
    let done = 0;
    for (const sample of dataset.samples()) {
      const outputs = await session.run(toFeeds(sample.inputs, inputNames), tensors);
      for (const name of tensors) {
        const t = outputs[name]!;
        const data = t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array);
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < data.length; i++) {
          const v = data[i]!;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        const r = ranges.get(name);
        if (!r) ranges.set(name, { min, max });
        else {
          if (min < r.min) r.min = min;
          if (max > r.max) r.max = max;
        }
        t.dispose();
      }
      onSample?.(++done);
    }
  } finally {
    await session.release();
  }
  return ranges;
}
