// Calibration: ONNX Runtime runs the float model with the tensors to
// calibrate exposed as extra graph outputs; each sample's min and max are
// folded into running values and the outputs dropped, so memory does not
// grow with the number of samples.
import ort from 'onnxruntime-node';
import { makeValueInfo } from '../onnx/build.js';
import { halfArrayToFloat32 } from '../onnx/float16.js';
import type { ModelProto } from '../onnx/proto.js';
import { cloneShallow } from '../onnx/walk-tensors.js';
import type { Dataset } from '../data/dataset.js';
import { toFeeds } from '../data/to-ort.js';
import { Histogram, entropyRange, mseRange, percentileRange } from './histogram.js';

export interface Range {
  min: number;
  max: number;
  /** for a clipped range (--method auto): the range the samples spanned, and the share of their values outside the clipping */
  observed?: { min: number; max: number };
  clippedShare?: number;
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

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'auto';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['auto', 'minmax', 'percentile', 'entropy'];

/** Bins of the histograms the auto method searches (finer than 2048: one outlier can squeeze the bulk of the values into a few bins). */
const AUTO_BINS = 8192;

export interface CalibrationOptions {
  method?: CalibrationMethod;
  /** For 'percentile': the central share of values kept (default 99.999). */
  percentile?: number;
  /** After each sample of each pass (histogram methods run the samples twice). */
  onSample?: (done: number, passes: number) => void;
}

/** Runs every sample and hands each exposed tensor's values (as float32) to `visit`. */
async function forEachSample(session: ort.InferenceSession, dataset: Dataset, inputNames: string[], tensors: string[],
  visit: (name: string, values: Float32Array) => void, onSample?: () => void): Promise<void> {
  for (const sample of dataset.samples()) {
    const outputs = await session.run(toFeeds(sample.inputs, inputNames), tensors);
    for (const name of tensors) {
      const t = outputs[name]!;
      visit(name, t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array));
      t.dispose();
    }
    onSample?.();
  }
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
  const passes = method === 'minmax' ? 1 : 2;
  const session = await openSession(exposeTensors(model, tensors, elemType));
  try {
    let done = 0;
    await forEachSample(session, dataset, inputNames, tensors, (name, data) => {
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
    }, () => opts.onSample?.(++done, passes));
    if (method === 'minmax') return ranges;

    const histograms = new Map<string, Histogram>();
    for (const [name, r] of ranges) {
      histograms.set(name, method === 'entropy' ? new Histogram(0, Math.max(Math.abs(r.min), Math.abs(r.max)))
        : new Histogram(r.min, r.max, method === 'auto' ? AUTO_BINS : 2048));
    }
    let abs = new Float32Array(0);
    await forEachSample(session, dataset, inputNames, tensors, (name, data) => {
      const h = histograms.get(name)!;
      if (method === 'auto') {
        // Each sample weighs by 1 / its own signal power: the error summed is the samples' noise/signal,
        // so one sample with extreme values cannot outweigh all the others (as a plain sum of squares lets it).
        let power = 0;
        for (let i = 0; i < data.length; i++) power += data[i]! * data[i]!;
        if (power > 0 && Number.isFinite(power)) h.add(data, 1 / power);
        return;
      }
      if (method !== 'entropy') return h.add(data);
      if (abs.length < data.length) abs = new Float32Array(data.length);
      const a = abs.subarray(0, data.length);
      for (let i = 0; i < data.length; i++) a[i] = Math.abs(data[i]!);
      h.add(a);
    }, () => opts.onSample?.(++done, passes));
    for (const [name, h] of histograms) {
      const observed = ranges.get(name)!;
      if (method === 'auto') ranges.set(name, clippedRange(h, mseRange(h), observed));
      else ranges.set(name, method === 'entropy' ? entropyRange(h, observed) : percentileRange(h, opts.percentile ?? 99.999));
    }
  } finally {
    await session.release();
  }
  return ranges;
}

/** A clipping range with what it cut off: the observed range and the share of values outside it (read off the histogram). */
function clippedRange(h: Histogram, range: Range, observed: Range): Range {
  // A cut of under 0.5% of the span buys under 1% of the rounding noise: not worth a clipped value.
  const span = Math.max(observed.max, 0) - Math.min(observed.min, 0);
  const kept = Math.max(range.max, 0) - Math.min(range.min, 0);
  if ((range.min <= observed.min && range.max >= observed.max) || kept >= 0.995 * span) return { min: observed.min, max: observed.max };
  let outside = 0;
  for (let b = 0; b < h.bins; b++) {
    const centre = h.min + (b + 0.5) * h.width;
    if (centre < range.min || centre > range.max) outside += h.counts[b]!;
  }
  return { ...range, observed: { min: observed.min, max: observed.max }, clippedShare: h.total ? outside / h.total : 0 };
}
