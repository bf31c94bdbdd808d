// Reusable calibration (--save-calibration / --load-calibration): the
// statistics of one calibration run in a versioned JSON file, tied to the
// model by graph digests (graph-digest.ts). A CI job calibrates once and
// re-quantizes with other settings without running the samples again; a
// table made on another model is refused, naming the first tensor that
// differs.
import { readFileSync } from 'node:fs';
import { QuantizeError } from '../errors.js';
import { writeFileAtomic } from './write-atomic.js';
import { entropyRange, Histogram, percentileRange } from './histogram.js';
import type { CalibrationMethod, Range } from './calibrate.js';
import type { GraphDigest } from './graph-digest.js';

export const TABLE_FORMAT = 'onnx-quantize/calibration';
export const TABLE_VERSION = 1;

export interface StoredHistogram {
  kind: 'signed' | 'abs';
  min: number;
  max: number;
  bins: number;
  total: number;
  /** [bin, count] pairs of the non-empty bins (most bins of a post-Relu tensor are empty) */
  counts: Array<[number, number]>;
}

export interface TableTensor {
  /** the observed range over the samples */
  min: number;
  max: number;
  /** the range the method chose (equal to min/max for minmax) */
  range: { min: number; max: number };
  digest: string;
  producer?: string;
  histogram?: StoredHistogram;
}

export interface CalibrationTable {
  format: typeof TABLE_FORMAT;
  version: number;
  tool: string;
  createdAt: string;
  model: { file: string; graphDigest: string };
  method: CalibrationMethod;
  percentile?: number;
  samples: { source: string; count: number };
  tensors: Record<string, TableTensor>;
}

/** A table that cannot be used for this model or method. */
export class CalibrationTableError extends QuantizeError {
  constructor(file: string, problem: string) {
    super('E_CALIBRATION_TABLE', `${file}: ${problem}`, 1);
  }
}

export function storeHistogram(h: Histogram, kind: 'signed' | 'abs'): StoredHistogram {
  const counts: Array<[number, number]> = [];
  for (let b = 0; b < h.bins; b++) if (h.counts[b]) counts.push([b, h.counts[b]!]);
  return { kind, min: h.min, max: h.max, bins: h.bins, total: h.total, counts };
}

function restoreHistogram(s: StoredHistogram): Histogram {
  const h = new Histogram(s.min, s.max, s.bins);
  for (const [b, c] of s.counts) h.counts[b] = c;
  h.total = s.total;
  return h;
}

export function buildTable(args: { file: string; digest: GraphDigest; method: CalibrationMethod; percentile?: number; source: string; count: number;
  ranges: Map<string, Range>; observed: Map<string, Range>; histograms: Map<string, StoredHistogram>; tool: string }): CalibrationTable {
  const tensors: Record<string, TableTensor> = {};
  for (const [name, range] of args.ranges) {
    const seen = args.observed.get(name) ?? range;
    const h = args.histograms.get(name);
    tensors[name] = { min: seen.min, max: seen.max, range: { min: range.min, max: range.max }, digest: args.digest.tensors.get(name) ?? '',
      ...(args.digest.producers.get(name) ? { producer: args.digest.producers.get(name) } : {}), ...(h ? { histogram: h } : {}) };
  }
  return { format: TABLE_FORMAT, version: TABLE_VERSION, tool: args.tool, createdAt: new Date().toISOString(),
    model: { file: args.file, graphDigest: args.digest.graph }, method: args.method, ...(args.percentile !== undefined ? { percentile: args.percentile } : {}),
    samples: { source: args.source, count: args.count }, tensors };
}

export function saveTable(file: string, table: CalibrationTable): void {
  // Infinity (a tensor no sample reached) is not JSON: written as null, read back as no range.
  writeFileAtomic(file, `${JSON.stringify(table, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
}

export function readTable(file: string): CalibrationTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CalibrationTableError(file, `cannot read the calibration table (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const t = parsed as Partial<CalibrationTable>;
  if (t?.format !== TABLE_FORMAT) throw new CalibrationTableError(file, `not a calibration table (format '${String(t?.format)}', expected '${TABLE_FORMAT}')`);
  if (t.version !== TABLE_VERSION) throw new CalibrationTableError(file, `calibration table version ${t.version}; this tool reads version ${TABLE_VERSION}`);
  if (!t.tensors || typeof t.tensors !== 'object' || !t.model?.graphDigest) throw new CalibrationTableError(file, 'calibration table has no tensors or no model digest');
  return t as CalibrationTable;
}

/**
 * The ranges for `tensors` from a table, for `method`: checked against the
 * model's digests first (the first tensor, in graph order, whose digest
 * differs or is missing is named); histograms give other methods than the
 * one saved when they are of the kind the method needs.
 */
export function rangesFromTable(file: string, table: CalibrationTable, digest: GraphDigest, tensors: readonly string[],
  method: CalibrationMethod, percentile: number | undefined): Map<string, Range> {
  if (table.model.graphDigest !== digest.graph) {
    const order = [...digest.tensors.keys()];
    const wanted = new Set(tensors);
    for (const name of order) {
      const stored = table.tensors[name];
      if (!stored) {
        if (wanted.has(name)) throw new CalibrationTableError(file, `does not match this model: tensor '${name}' (${digest.producers.get(name) ?? 'input'}) is not in the table (it was made for ${table.model.file})`);
        continue;
      }
      if (stored.digest !== digest.tensors.get(name)) {
        throw new CalibrationTableError(file, `does not match this model: tensor '${name}' (${digest.producers.get(name) ?? 'input'}) differs `
          + `(its producer, an input or a weight upstream changed; the table was made for ${table.model.file})`);
      }
    }
    throw new CalibrationTableError(file, `does not match this model: the graph differs (its outputs or inputs; the table was made for ${table.model.file})`);
  }
  const ranges = new Map<string, Range>();
  const num = (v: number | null): number => (v === null ? NaN : v);
  for (const name of tensors) {
    const t = table.tensors[name];
    if (!t) throw new CalibrationTableError(file, `has no range for tensor '${name}' (${digest.producers.get(name) ?? 'input'}): calibrate again with this model's settings`);
    const observed = { min: num(t.min), max: num(t.max) };
    if (method === 'minmax') ranges.set(name, observed);
    else if (method === table.method && (method !== 'percentile' || (percentile ?? 99.999) === (table.percentile ?? 99.999))) {
      ranges.set(name, { min: num(t.range.min), max: num(t.range.max) });
    } else {
      const need = method === 'entropy' ? 'abs' : 'signed';
      if (!t.histogram || t.histogram.kind !== need) {
        throw new CalibrationTableError(file, `was saved with --method ${table.method} and holds no ${need === 'abs' ? '|x| ' : ''}histograms for --method ${method}: `
          + `calibrate with --method ${method} --save-calibration, or load it with --method ${table.method}${table.method === 'minmax' ? '' : ' or minmax'}`);
      }
      const h = restoreHistogram(t.histogram);
      ranges.set(name, method === 'entropy' ? entropyRange(h, observed) : percentileRange(h, percentile ?? 99.999));
    }
  }
  return ranges;
}
