// Calibration with a reusable table: --load-calibration takes the ranges
// from a saved table (checked against this model's graph digests) without
// running a sample; --save-calibration runs the samples as usual and writes
// what they gave: observed ranges, the method's ranges and its histograms.
import type { ModelProto } from '../onnx/proto.js';
import type { TensorSource } from '../onnx/tensor-data.js';
import type { Dataset } from '../data/dataset.js';
import { UsageError } from '../errors.js';
import { calibrateRanges, type CalibrationOptions, type CalibrationSession, type Range } from './calibrate.js';
import { buildTable, rangesFromTable, readTable, saveTable, storeHistogram, type StoredHistogram } from './calibration-table.js';
import { graphDigest } from './graph-digest.js';

export interface TableOptions extends CalibrationOptions {
  save?: string;
  load?: string;
  /** the samples' path, recorded in a saved table */
  source?: string;
}

const TOOL = 'onnx-quantize 0.1.0';

export async function calibrateWithTable(model: ModelProto, weights: TensorSource, tensors: string[], elemType: number,
  dataset: Dataset | undefined, inputNames: string[], openSession: CalibrationSession, opts: TableOptions): Promise<Map<string, Range>> {
  const method = opts.method ?? 'minmax';
  if (opts.load) {
    const table = readTable(opts.load);
    return rangesFromTable(opts.load, table, graphDigest(model, weights), tensors, method, opts.percentile);
  }
  if (!dataset) throw new UsageError('static quantization needs calibration samples (--calibrate) or a saved table (--load-calibration)');
  const histograms = new Map<string, StoredHistogram>();
  const observed = new Map<string, Range>();
  const ranges = await calibrateRanges(model, tensors, elemType, dataset, inputNames, openSession, {
    ...opts,
    ...(opts.save ? { onHistogram: (name, h, kind, seen) => {
      histograms.set(name, storeHistogram(h, kind));
      observed.set(name, seen);
      opts.onHistogram?.(name, h, kind, seen);
    } } : {}),
  });
  if (opts.save) {
    saveTable(opts.save, buildTable({ file: weights.file, digest: graphDigest(model, weights), method, percentile: opts.percentile,
      source: opts.source ?? dataset.path, count: dataset.count, ranges, observed, histograms, tool: TOOL }));
  }
  return ranges;
}
