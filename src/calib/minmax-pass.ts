// The MinMax pass: each sample's minimum and maximum of every calibrated
// tensor, computed by ReduceMin/ReduceMax nodes inside ONNX Runtime (see
// reduce-outputs.ts) and folded into running values. One session, one run
// per sample, two scalars per tensor back to JavaScript.
import { halfBitsToFloat32 } from '../onnx/float16.js';
import type { ModelProto } from '../onnx/proto.js';
import type { Dataset } from '../data/dataset.js';
import { toFeeds } from '../data/to-ort.js';
import { CarryState } from '../data/carry.js';
import type { CalibrationSession, Range } from './calibrate.js';
import { exposeMinMax } from './reduce-outputs.js';
import { outputTypes } from './grouped-passes.js';
import { pruneToOutputs } from './prune-graph.js';

function scalar(t: { type: string; data: unknown }): number {
  const d = t.data as ArrayLike<number>;
  return t.type === 'float16' ? halfBitsToFloat32(d[0]!) : Number(d[0]);
}

/** The observed range of each tensor over all samples. */
export async function observeRanges(model: ModelProto, tensors: string[], elemType: number, dataset: Dataset, inputNames: string[],
  openSession: CalibrationSession, onSample?: () => void): Promise<Map<string, Range>> {
  const ranges = new Map<string, Range>();
  const { model: reduced, outputs } = exposeMinMax(model, tensors, elemType);
  const carry = new CarryState(dataset.carry ?? []);
  const fetches = [...new Set([...[...outputs.values()].flat(), ...carry.outputs])];
  // Nothing after the last calibrated tensor runs (the model's own outputs are not needed).
  const session = await openSession(pruneToOutputs(reduced, fetches, elemType, outputTypes(model)));
  try {
    for await (const sample of dataset.samples()) {
      const feeds = toFeeds(sample.inputs, inputNames);
      carry.feed(feeds, sample.sequenceStart);
      const result = await session.run(feeds, fetches);
      for (const [tensor, [minName, maxName]] of outputs) {
        const min = scalar(result[minName!]!);
        const max = scalar(result[maxName!]!);
        const r = ranges.get(tensor);
        // NaN compares false: a NaN-only tensor keeps no range (the rewrite treats it as [0, 0]).
        if (!r) ranges.set(tensor, { min: min === min ? min : Infinity, max: max === max ? max : -Infinity });
        else {
          if (min < r.min) r.min = min;
          if (max > r.max) r.max = max;
        }
      }
      carry.update(result);
      onSample?.();
    }
  } finally {
    carry.clear();
    await session.release();
  }
  return ranges;
}
