// A user's own accuracy metric (`--metric ./my-metric.js`), for tasks the
// built-in ones (fidelity, top-1/top-5) do not cover: a JavaScript module whose
// default export (or export named `metric`) is a function of one model's
// outputs and the sample they came from. It is called once per sample for
// each model; the numbers it returns are averaged over the samples, and the
// report shows both models' averages and the difference.
//
//   // my-metric.js
//   export default function (outputs, sample) {
//     const scores = outputs.logits.data;            // Float32Array
//     return { margin: scores[sample.label] - Math.max(...scores) };
//   }
//   export const higherIsBetter = true;               // optional (default true)
//   export const name = 'margin';                     // optional (default: file name)
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type ort from 'onnxruntime-node';
import type { NdArray } from '../data/ndarray.js';
import { RuntimeFailure, UsageError } from '../errors.js';

/** What the metric function receives about the sample. */
export interface MetricSample {
  /** where the sample came from ("eval/sample_007.npz") */
  source: string;
  /** the sample's arrays by input name */
  inputs: Record<string, NdArray>;
  /** the sample's label from --labels, when given and the file is listed */
  label?: number | readonly number[];
}

/**
 * One model's outputs on one sample → a number, or named numbers (averaged
 * separately), or undefined to leave the sample out. May be async.
 */
export type MetricFunction = (
  outputs: Record<string, ort.Tensor>,
  sample: MetricSample,
) => number | Record<string, number> | undefined | null | Promise<number | Record<string, number> | undefined | null>;

export interface CustomMetric {
  /** the metric's name: the module's `name` export, else the file's base name */
  name: string;
  fn: MetricFunction;
  /** whether a larger value is better (colours the difference); default true */
  higherIsBetter: boolean;
  /** the module it was loaded from */
  file?: string;
}

/** One named value of a custom metric, averaged over the samples. */
export interface CustomMetricValue {
  /** the key the function returned (the metric's name for a plain number) */
  key: string;
  /** mean over the samples where the original model's call gave a value */
  original: number;
  /** mean over the samples where the quantized model's call gave a value */
  quantized: number;
  /** quantized − original */
  delta: number;
  /** samples averaged (original's count; the quantized count is the same unless the function skipped some) */
  samples: number;
}

export interface CustomMetricResult {
  name: string;
  file: string | null;
  higherIsBetter: boolean;
  values: CustomMetricValue[];
}

/**
 * Imports the metric module at `path` (relative to the working directory).
 * @throws UsageError when the file is missing or exports no function;
 *   RuntimeFailure when importing it throws
 */
export async function loadMetric(path: string): Promise<CustomMetric> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`--metric ${path}: no such file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new RuntimeFailure(`--metric ${path}: cannot import it: ${(err as Error).message}`, { cause: err });
  }
  const fn = typeof mod.default === 'function' ? mod.default : typeof mod.metric === 'function' ? mod.metric : undefined;
  if (!fn) {
    throw new UsageError(`--metric ${path}: the module must export a function (export default function (outputs, sample) { ... })`);
  }
  const name = typeof mod.name === 'string' && mod.name ? mod.name : basename(file, extname(file));
  const higherIsBetter = mod.higherIsBetter === undefined ? true : Boolean(mod.higherIsBetter);
  return { name, fn: fn as MetricFunction, higherIsBetter, file };
}

/** Sums of a custom metric's values for both models, sample by sample. */
export class MetricAccumulator {
  private readonly sums = new Map<string, { original: number; originalN: number; quantized: number; quantizedN: number }>();

  constructor(readonly metric: CustomMetric) {}

  /**
   * Calls the metric on one model's outputs and folds the result.
   * @throws RuntimeFailure when the function throws or returns something
   *   other than a finite number, named finite numbers, or undefined
   */
  async add(which: 'original' | 'quantized', outputs: Record<string, ort.Tensor>, sample: MetricSample): Promise<void> {
    let value: Awaited<ReturnType<MetricFunction>>;
    try {
      value = await this.metric.fn(outputs, sample);
    } catch (err) {
      throw new RuntimeFailure(`metric '${this.metric.name}' failed on sample ${sample.source} (${which} model): ${(err as Error).message}`, { cause: err });
    }
    if (value === undefined || value === null) return;
    const entries: Array<[string, unknown]> = typeof value === 'number' ? [[this.metric.name, value]] : Object.entries(value);
    for (const [key, v] of entries) {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RuntimeFailure(
          `metric '${this.metric.name}' returned ${JSON.stringify(v) ?? String(v)} for '${key}' on sample ${sample.source}; expected a finite number`);
      }
      let s = this.sums.get(key);
      if (!s) this.sums.set(key, (s = { original: 0, originalN: 0, quantized: 0, quantizedN: 0 }));
      if (which === 'original') {
        s.original += v;
        s.originalN++;
      } else {
        s.quantized += v;
        s.quantizedN++;
      }
    }
  }

  result(): CustomMetricResult {
    const values: CustomMetricValue[] = [];
    for (const [key, s] of this.sums) {
      if (s.originalN === 0 || s.quantizedN === 0) continue;
      const original = s.original / s.originalN;
      const quantized = s.quantized / s.quantizedN;
      values.push({ key, original, quantized, delta: quantized - original, samples: s.originalN });
    }
    return { name: this.metric.name, file: this.metric.file ?? null, higherIsBetter: this.metric.higherIsBetter, values };
  }
}

/** A sample as the metric function sees it. */
export function metricSample(source: string, inputs: Map<string, NdArray>, label: number | readonly number[] | undefined): MetricSample {
  return { source, inputs: Object.fromEntries(inputs), ...(label !== undefined ? { label } : {}) };
}
