// Labels for accuracy: a JSON object mapping sample file name to a class
// index (or a list of acceptable ones), given with --labels or found as
// labels.json in the samples folder.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/** The labels file to use: the one named, else labels.json in the samples folder when there is one. */
export function labelsFileFor(samples: string | undefined, named: string | undefined): string | undefined {
  if (named) return named;
  return samples && existsSync(join(samples, 'labels.json')) ? join(samples, 'labels.json') : undefined;
}

export function readLabels(file: string | undefined): Map<string, number | number[]> | undefined {
  if (!file) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: cannot read labels (${(err as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${file}: labels must be a JSON object {"sample.npz": classIndex}`);
  }
  const map = new Map<string, number | number[]>();
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    if (ok(v)) map.set(k, v);
    else if (Array.isArray(v) && v.every(ok)) map.set(k, v);
    else throw new UsageError(`${file}: label of '${k}' must be a class index (an integer >= 0) or a list of them`);
  }
  return map;
}

/**
 * The labels of the samples: --labels, else labels.json in the samples'
 * folder (a map by file name or path tail), else the dataset's own
 * (sub-folder names: each sample carries its label; `datasetLabels` names
 * where they came from, for the report).
 */
export function labelsFor(named: string | undefined, samples: string | undefined, datasetLabels: string | undefined):
  { labels?: Map<string, number | number[]>; labelsFile?: string } {
  const file = labelsFileFor(samples, named);
  if (file) return { labels: readLabels(file), labelsFile: file };
  return datasetLabels ? { labelsFile: datasetLabels } : {};
}
