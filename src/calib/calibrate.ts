// Calibration: ONNX Runtime runs the float model with the tensors to
// calibrate exposed as extra graph outputs; each sample's min and max are
// folded into running values and the outputs dropped, so memory does not
// grow with the number of samples.
import type ort from 'onnxruntime-node';
import { makeValueInfo } from '../onnx/build.js';
import type { ModelProto } from '../onnx/proto.js';
import { cloneShallow } from '../onnx/walk-tensors.js';
import { firstSample, type Dataset } from '../data/dataset.js';
import { DataType } from '../onnx/dtypes.js';
import { DEFAULT_CALIB_MEMORY, forEachSampleGrouped, groupTensors } from './grouped-passes.js';
import { observeRanges } from './minmax-pass.js';
import { probeShapes } from './probe-sizes.js';
import { Histogram, entropyRange, percentileRange } from './histogram.js';

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

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

export interface CalibrationOptions {
  method?: CalibrationMethod;
  /** For 'percentile': the central share of values kept (default 99.999). */
  percentile?: number;
  /** After each sample of each pass (histogram methods run the samples twice, and once more per extra tensor group). */
  onSample?: (done: number, passes: number) => void;
  /** Bytes of tensors exposed in one run of the histogram pass (default 2 GiB); more are calibrated in groups over several passes. */
  memoryBytes?: number;
  /** Each tensor's size in bytes on the first sample (measured if not given and the budget needs it). */
  tensorBytes?: ReadonlyMap<string, number>;
  /** Told how many groups the histogram pass needs, when more than one. */
  onGroups?: (groups: number, tensors: number) => void;
  /** Each histogram the method read its range from (for --save-calibration). */
  onHistogram?: (tensor: string, histogram: Histogram, kind: 'signed' | 'abs', observed: Range) => void;
}

/**
 * Activation ranges: MinMax folds each sample's min and max; Percentile and
 * Entropy run the samples a second time into a 2048-bin histogram per
 * tensor over the range the first pass found, and read the range off it.
 */
export async function calibrateRanges(
  model: ModelProto, tensors: string[], elemType: number, dataset: Dataset, inputNames: string[],
  openSession: CalibrationSession, opts: CalibrationOptions = {},
): Promise<Map<string, Range>> {
  const ranges = new Map<string, Range>();
  if (tensors.length === 0) return ranges; // weight-only plans calibrate nothing
  const method = opts.method ?? 'minmax';
  let passes = method === 'minmax' ? 1 : 2;
  {
    let done = 0;
    for (const [k, v] of await observeRanges(model, tensors, elemType, dataset, inputNames, openSession, () => opts.onSample?.(++done, passes))) ranges.set(k, v);
    if (method === 'minmax') return ranges;
    const budget = opts.memoryBytes ?? DEFAULT_CALIB_MEMORY;
    const bytes = opts.tensorBytes ?? await probeBytes(model, tensors, elemType, dataset, inputNames, openSession);
    const groups = groupTensors(tensors, bytes, budget);
    if (groups.length > 1) opts.onGroups?.(groups.length, tensors.length);
    passes = 1 + groups.length;

    const histograms = new Map<string, Histogram>();
    for (const [name, r] of ranges) {
      histograms.set(name, method === 'entropy' ? new Histogram(0, Math.max(Math.abs(r.min), Math.abs(r.max))) : new Histogram(r.min, r.max));
    }
    let abs = new Float32Array(0);
    await forEachSampleGrouped(model, groups, elemType, dataset, inputNames, openSession, (name, data) => {
      const h = histograms.get(name)!;
      if (method !== 'entropy') return h.add(data);
      if (abs.length < data.length) abs = new Float32Array(data.length);
      const a = abs.subarray(0, data.length);
      for (let i = 0; i < data.length; i++) a[i] = Math.abs(data[i]!);
      h.add(a);
    }, () => opts.onSample?.(++done, passes));
    for (const [name, h] of histograms) {
      const observed = ranges.get(name)!;
      opts.onHistogram?.(name, h, method === 'entropy' ? 'abs' : 'signed', { ...observed });
      ranges.set(name, method === 'entropy' ? entropyRange(h, observed) : percentileRange(h, opts.percentile ?? 99.999));
    }
  }
  return ranges;
}

/** Each tensor's bytes on the first sample (Shape nodes: nothing large leaves the runtime). */
async function probeBytes(model: ModelProto, tensors: string[], elemType: number, dataset: Dataset, inputNames: string[],
  openSession: CalibrationSession): Promise<Map<string, number>> {
  const first = await firstSample(dataset);
  const bytes = new Map<string, number>();
  if (!first) return bytes;
  const per = elemType === DataType.FLOAT16 ? 2 : 4;
  for (const [t, dims] of await probeShapes(model, tensors, elemType, first.inputs, inputNames, openSession)) bytes.set(t, dims.reduce((a, b) => a * b, 1) * per);
  return bytes;
}
