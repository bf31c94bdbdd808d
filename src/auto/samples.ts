// The evaluation samples the per-layer analysis and the search run on: read
// through data/ (openDataset), checked against the model's inputs, the first
// `limit` of them kept as feeds (a small subset: each is run many times).
import type ort from 'onnxruntime-node';
import { basename } from 'node:path';
import { openDataset, type DatasetOptions } from '../data/dataset.js';
import { toFeeds } from '../data/to-ort.js';
import { validateSample, type InputSpec } from '../data/validate.js';
import { UsageError } from '../errors.js';

export interface EvalSample {
  source: string;
  feeds: Record<string, ort.Tensor>;
  /** the label from labels.json, when there is one for this sample */
  label?: number | readonly number[];
}

export async function readEvalSamples(path: string, specs: readonly InputSpec[], limit: number,
  labels?: ReadonlyMap<string, number | readonly number[]>, data: DatasetOptions = {}): Promise<{ samples: EvalSample[]; total: number }> {
  const dataset = openDataset(path, [...specs], data);
  if (dataset.count === 0) throw new UsageError(`${path}: no samples`);
  const samples: EvalSample[] = [];
  for await (const sample of dataset.samples()) {
    if (samples.length >= limit) break;
    validateSample(sample, specs);
    // A label file wins; else the label the dataset carries (sub-folder names).
    const label = labels?.get(basename(sample.source)) ?? sample.label;
    samples.push({ source: sample.source, feeds: toFeeds(sample.inputs, specs.map((s) => s.name)), ...(label !== undefined ? { label } : {}) });
  }
  return { samples, total: dataset.count };
}

/** Σ ref² and Σ (ref − test)² of two outputs, skipping non-finite pairs in the reference only (a non-finite test value is an error of its own). */
export function errorSums(ref: Float32Array, test: Float32Array): { signal: number; noise: number } {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    if (!Number.isFinite(r)) continue;
    const t = test[i]!;
    const e = Number.isFinite(t) ? r - t : Math.max(1, Math.abs(r)) * 1e3;
    signal += r * r;
    noise += e * e;
  }
  return { signal, noise };
}

/** noise / signal as dB of SQNR (Infinity when identical). */
export function sqnrDbOf(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  if (signal === 0) return -Infinity;
  return 10 * Math.log10(signal / noise);
}
