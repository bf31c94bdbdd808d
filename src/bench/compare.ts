// Original vs quantized, side by side: both models run on every sample, each
// output's fidelity is folded sample by sample (memory holds one sample), the
// top-1 (and top-5) accuracy of both is counted where labels are given, a
// custom metric is averaged when one is given, and latency is measured on the
// first sample (or on a batch of rows from the first samples), optionally for
// a sweep of batch sizes. The result is plain data (JSON-serialisable) for the
// terminal table (report/compare-text.ts) and --json.
import { existsSync, statSync } from 'node:fs';
import { ndArrayToTensor } from '../data/to-ort.js';
import { basename, dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import type { Sample } from '../data/dataset.js';
import { CarryState, type CarryPair } from '../data/carry.js';
import type { DType } from '../data/ndarray.js';
import { validateSample, type InputSpec } from '../data/validate.js';
import { SampleMismatchError } from '../data/errors.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import { loadModel } from '../onnx/load.js';
import type { Model } from '../onnx/model.js';
import { isExternal, parseExternalRef } from '../onnx/external-data.js';
import { forEachModelTensor } from '../onnx/walk-tensors.js';
import { FidelityAccumulator, isClassifierShape, toFloat32, type NumericArray } from './metrics.js';
import { measureLatency, type LatencyOptions, type LatencyStats, type SpeedupInterval } from './latency.js';
import { MetricAccumulator, metricSample, type CustomMetric, type CustomMetricResult } from './metric-hook.js';
import { batchAxisOf, batchRefusal, RowCollector, type BatchAxis } from './batch-feeds.js';

/** Samples to compare on: a Dataset from openDataset, or any iterable of samples. */
export type SampleSource = Iterable<Sample> | AsyncIterable<Sample>
  | { samples(): Iterable<Sample> | AsyncIterable<Sample>; count?: number; carry?: readonly CarryPair[] };

export interface CompareSessionOptions {
  /** threads inside one operator (default: ONNX Runtime's, one per physical core) */
  intraOpNumThreads?: number;
  /** threads across operators (default: ONNX Runtime's) */
  interOpNumThreads?: number;
  /** execution providers, in order of preference (default ['cpu']) */
  executionProviders?: string[];
  /** graph optimisation level (default 'all', which is where QDQ fusion happens) */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  /** ONNX Runtime's log level for the sessions (default 3: errors only) */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface CompareOptions {
  /** path of the reference (float) model */
  original: string;
  /** path of the quantized model */
  quantized: string;
  /** the samples both models run on (at least one) */
  dataset: SampleSource;
  /**
   * true classes by the sample's file base name ("sample_000.npz" → 2, as in
   * labels.json): a number for a single-row output, or one per row
   */
  labels?: ReadonlyMap<string, number | readonly number[]>;
  session?: CompareSessionOptions;
  /** how latency is measured (see measureLatency) */
  latency?: LatencyOptions;
  /**
   * inferences per run for the latency measurement: rows are taken from the
   * first samples (the first axis of every input is the batch axis), repeated
   * if there are fewer; the model's batch axis must be dynamic (or fixed at
   * this size). Default: the first sample as it is.
   */
  batch?: number;
  /**
   * batch sizes to measure latency at as well (result.batches); a size the
   * model's batch axis does not allow is listed as skipped with the reason
   */
  batchSizes?: readonly number[];
  /** a custom metric (see metric-hook.ts), averaged over the samples for both models */
  metric?: CustomMetric;
  /** called after each sample */
  onProgress?: (done: number, total: number | undefined) => void;
  /** called with the feeds the main latency measurement runs (e.g. to measure memory on the same input elsewhere) */
  onLatencyFeeds?: (feeds: Record<string, ort.Tensor>, batch: number) => void;
}

export interface ModelFileInfo {
  file: string;
  /** the .onnx file's size plus `<file>.data` if that exists */
  bytes: number;
}

export interface OutputFidelity {
  name: string;
  /** cosine similarity over all samples concatenated (1 = same direction) */
  cosine: number;
  /** SQNR in dB; null means infinite (the outputs are identical) */
  sqnrDb: number | null;
  maxAbsError: number;
  meanAbsError: number;
  /** share of classifier rows (0..1) where both models pick the same class; absent for outputs that are not [N, C] / [C] */
  top1Agreement?: number;
  /** element pairs compared */
  elements: number;
  /** element pairs skipped because either model gave NaN or ±Infinity there (see FidelityAccumulator) */
  nonFinite: number;
}

export interface AccuracyResult {
  /** the classifier-shaped output the accuracy is read from (the first one) */
  output: string;
  /** labeled rows counted */
  labeled: number;
  /** top-1 accuracy of the original, 0..1 */
  original: number;
  /** top-1 accuracy of the quantized model, 0..1 */
  quantized: number;
  /** (original − quantized) × 100, in percentage points; positive = the quantized model is worse */
  drop: number;
  /** top-5 accuracy (the label among the 5 highest scores), when the output has more than 5 classes */
  top5?: { original: number; quantized: number; drop: number };
}

export interface LatencyResult {
  original: LatencyStats;
  quantized: LatencyStats;
  /** median(original) / median(quantized): above 1 means the quantized model is faster */
  speedup: number;
  /** 95 % paired-bootstrap interval of the speed-up (see measureLatency) */
  speedupInterval: { low: number; high: number; confidence: number; method: string };
  /** inferences per run (the first sample's batch) */
  batch: number;
  /** intra-op threads asked for; null = ONNX Runtime's default */
  threads: number | null;
  /** the execution providers the sessions were created with */
  providers: string[];
  /** the sample timed (the first of them when rows of several make the batch) */
  sample: string;
  /** how the runs were interleaved (see measureLatency): timed runs per turn, untimed runs at the start of each */
  turns?: { runsPerTurn: number; settleRuns: number };
}

/** Latency at one batch size of a sweep (CompareOptions.batchSizes). */
export interface BatchLatency {
  batch: number;
  /** absent when skipped */
  original?: LatencyStats;
  quantized?: LatencyStats;
  /** median(original) / median(quantized) */
  speedup?: number;
  speedupInterval?: SpeedupInterval;
  /** why this batch size was not measured */
  skipped?: string;
}

export interface CompareResult {
  original: ModelFileInfo;
  quantized: ModelFileInfo;
  /** quantized.bytes / original.bytes (0.27 = the quantized model is 27 % of the original's size) */
  sizeRatio: number;
  /** samples run */
  samples: number;
  outputs: OutputFidelity[];
  /** present when labels were given and at least one classifier row was labeled */
  accuracy?: AccuracyResult;
  /** why accuracy is absent although labels were given */
  accuracySkipped?: string;
  /** the custom metric's averages, when one was given */
  custom?: CustomMetricResult;
  latency: LatencyResult;
  /** latency per batch size, when batchSizes was given */
  batches?: BatchLatency[];
}

/**
 * Size of a model on disk: the .onnx file plus the side files its tensors'
 * external data names (each counted once). A file that cannot be read as a
 * model counts `<file>.data` beside it, if there is one.
 */
export function modelFileInfo(file: string): ModelFileInfo {
  let bytes = statSync(file).size;
  for (const side of externalDataFiles(file)) bytes += statSync(side).size;
  return { file, bytes };
}

/**
 * The side files a model's external tensors live in (paths, existing files
 * only), from a loaded model or a path (a file that is not a model counts
 * `<file>.data`, if there is one).
 */
export function externalDataFiles(model: Model | string): string[] {
  const found = new Set<string>();
  const collect = (m: Model): void => forEachModelTensor(m.proto, (t) => {
    if (isExternal(t)) found.add(join(dirname(m.file), parseExternalRef(t, m.file).location));
  });
  if (typeof model !== 'string') {
    collect(model);
  } else {
    try {
      const m = loadModel(model);
      try {
        collect(m);
      } finally {
        m.close();
      }
    } catch {
      found.add(`${model}.data`);
    }
  }
  return [...found].filter((f) => existsSync(f) && statSync(f).isFile());
}

/** A JSON-safe number: Infinity becomes null (the caller documents what null means). */
const finiteOrNull = (x: number): number | null => (x === Infinity ? null : x);

/**
 * Runs the original and the quantized model on every sample and compares
 * them: fidelity per output, top-1 accuracy of both (labels given), file
 * sizes, and latency on the first sample. Sessions are released at the end,
 * also on failure.
 *
 * @throws RuntimeFailure when a model cannot be loaded or run, or the two
 *   models' outputs do not match (a missing output, a different shape);
 *   SampleMismatchError (from validateSample) for a sample that does not fit
 *   the model's inputs
 */
export async function compareModels(options: CompareOptions): Promise<CompareResult> {
  const originalInfo = modelFileInfo(options.original);
  const quantizedInfo = modelFileInfo(options.quantized);
  const providers = options.session?.executionProviders ?? ['cpu'];
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: providers,
    graphOptimizationLevel: options.session?.graphOptimizationLevel ?? 'all',
    logSeverityLevel: options.session?.logSeverityLevel ?? 3,
    ...(options.session?.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.session.intraOpNumThreads } : {}),
    ...(options.session?.interOpNumThreads !== undefined ? { interOpNumThreads: options.session.interOpNumThreads } : {}),
  };

  const sessions: ort.InferenceSession[] = [];
  try {
    const original = await createSession(options.original, sessionOptions);
    sessions.push(original);
    const quantized = await createSession(options.quantized, sessionOptions);
    sessions.push(quantized);

    const outputNames = original.outputNames;
    const missing = outputNames.filter((n) => !quantized.outputNames.includes(n));
    if (missing.length) {
      throw new RuntimeFailure(
        `${options.quantized}: has no output ${missing.map((n) => `'${n}'`).join(', ')} of ${options.original}`);
    }
    checkSameInputs(original, quantized, options.original, options.quantized);
    const inputSpecs = inputSpecsOf(original);
    const inputNames = original.inputNames;

    // Batch sizes: what both models allow, checked before any sample runs.
    const axis = combineAxes(batchAxisOf(original.inputMetadata ?? []), batchAxisOf(quantized.inputMetadata ?? []));
    if (options.batch !== undefined) {
      checkBatchSize(options.batch, '--batch');
      const refusal = batchRefusal(axis, options.batch);
      if (refusal) throw new UsageError(`batch ${options.batch}: ${refusal}`);
    }
    for (const b of options.batchSizes ?? []) checkBatchSize(b, '--batch-sizes');
    const rowsNeeded = Math.max(options.batch ?? 0,
      ...(options.batchSizes ?? []).filter((b) => batchRefusal(axis, b) === undefined));
    const rows = rowsNeeded > 0 ? new RowCollector(inputNames, rowsNeeded) : undefined;
    const metric = options.metric ? new MetricAccumulator(options.metric) : undefined;

    const accumulators = new Map<string, FidelityAccumulator>();
    let classifierOutput: string | undefined;
    let firstFeeds: Record<string, ort.Tensor> | undefined;
    let firstSource = '';
    let samples = 0;
    const total = totalOf(options.dataset);
    const labels = options.labels;
    let sawLabels = false;

    // Streaming models (--carry): each model is fed back its own state.
    const pairs = carryOf(options.dataset);
    const refState = new CarryState(pairs);
    const testState = new CarryState(pairs);
    for await (const sample of iterate(options.dataset)) {
      checkSample(sample, inputSpecs);
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of inputNames) feeds[name] = ndArrayToTensor(sample.inputs.get(name)!);
      const refFeeds = pairs.length ? { ...feeds } : feeds;
      const testFeeds = pairs.length ? { ...feeds } : feeds;
      refState.feed(refFeeds, sample.sequenceStart);
      testState.feed(testFeeds, sample.sequenceStart);
      const ref = await runSession(original, refFeeds, options.original, sample.source);
      const test = await runSession(quantized, testFeeds, options.quantized, sample.source);
      refState.update(ref);
      testState.update(test);
      if (!firstFeeds) {
        firstFeeds = feeds;
        firstSource = sample.source;
        classifierOutput = outputNames.find((n) => {
          const t = ref[n];
          return t !== undefined && isNumericTensor(t) && isClassifierShape(t.dims);
        });
      }
      rows?.add(sample.inputs, sample.source);
      // Given labels (labels.json, --labels) name the sample by file name or by its path's last folders; else the sample's own (sub-folder names).
      const label = labels ? labelOf(labels, sample.source) : sample.label;
      if (sample.label !== undefined) sawLabels = true;
      if (metric) {
        const ms = metricSample(sample.source, sample.inputs, label);
        await metric.add('original', ref, ms);
        await metric.add('quantized', test, ms);
      }
      for (const name of outputNames) {
        const r = ref[name];
        const q = test[name];
        if (!r || !q || !isNumericTensor(r) || !isNumericTensor(q)) continue;
        if (r.dims.length !== q.dims.length || r.dims.some((d, i) => d !== q.dims[i])) {
          throw new RuntimeFailure(
            `output '${name}' has shape [${r.dims.join(',')}] in ${options.original} but [${q.dims.join(',')}] in ${options.quantized} (sample ${sample.source})`);
        }
        let acc = accumulators.get(name);
        if (!acc) accumulators.set(name, (acc = new FidelityAccumulator(name)));
        try {
          acc.add(toFloat32(r.data as NumericArray, r.type), toFloat32(q.data as NumericArray, q.type), r.dims,
            name === classifierOutput ? label : undefined);
        } catch (err) {
          if (err instanceof RangeError) throw new RuntimeFailure(`sample ${sample.source}: ${err.message}`, { cause: err });
          throw err;
        }
      }
      samples++;
      options.onProgress?.(samples, total);
    }
    if (!firstFeeds) throw new RuntimeFailure('no samples to compare the models on');

    const outputs: OutputFidelity[] = [];
    for (const name of outputNames) {
      const acc = accumulators.get(name);
      if (!acc) continue; // non-numeric output (strings, sequences, maps)
      const s = acc.summary();
      outputs.push({
        name,
        cosine: s.cosine,
        sqnrDb: finiteOrNull(s.sqnrDb === -Infinity ? SQNR_FLOOR_DB : s.sqnrDb),
        maxAbsError: s.maxAbsError,
        meanAbsError: s.meanAbsError,
        ...(s.top1Agreement !== undefined ? { top1Agreement: s.top1Agreement } : {}),
        elements: s.elements,
        nonFinite: s.nonFinite,
      });
    }

    let accuracy: AccuracyResult | undefined;
    let accuracySkipped: string | undefined;
    if (labels || sawLabels) {
      const s = classifierOutput ? accumulators.get(classifierOutput)?.summary() : undefined;
      if (!classifierOutput || !s) {
        accuracySkipped = 'no output is classifier-shaped ([N, C] or [C] with C ≥ 2)';
      } else if (s.labeled === 0) {
        accuracySkipped = 'no sample file name is in the labels';
      } else {
        const orig = s.referenceCorrect / s.labeled;
        const quant = s.testCorrect / s.labeled;
        const top5Original = s.referenceTop5 / s.labeled;
        const top5Quantized = s.testTop5 / s.labeled;
        accuracy = {
          output: classifierOutput,
          labeled: s.labeled,
          original: orig,
          quantized: quant,
          drop: (orig - quant) * 100,
          ...(s.classes > 5
            ? { top5: { original: top5Original, quantized: top5Quantized, drop: (top5Original - top5Quantized) * 100 } }
            : {}),
        };
      }
    }

    let latencyFeeds = firstFeeds;
    if (options.batch !== undefined) latencyFeeds = batchFeeds(rows, options.batch);
    const lat = await measureLatency(original, quantized, latencyFeeds,
      { ...options.latency, ...(options.batch !== undefined ? { batch: options.batch } : {}) });
    options.onLatencyFeeds?.(latencyFeeds, lat.batch);

    let batches: BatchLatency[] | undefined;
    if (options.batchSizes) {
      batches = [];
      for (const b of options.batchSizes) {
        const refusal = batchRefusal(axis, b);
        if (refusal) {
          batches.push({ batch: b, skipped: refusal });
          continue;
        }
        const m = b === lat.batch ? lat
          : await measureLatency(original, quantized, batchFeeds(rows, b), { ...options.latency, batch: b });
        batches.push({ batch: b, original: m.a, quantized: m.b, speedup: m.speedup, speedupInterval: m.interval });
      }
    }

    return {
      original: originalInfo,
      quantized: quantizedInfo,
      sizeRatio: quantizedInfo.bytes / originalInfo.bytes,
      samples,
      outputs,
      ...(accuracy ? { accuracy } : {}),
      ...(accuracySkipped ? { accuracySkipped } : {}),
      ...(metric ? { custom: metric.result() } : {}),
      latency: {
        original: lat.a,
        quantized: lat.b,
        speedup: lat.speedup,
        speedupInterval: lat.interval,
        batch: lat.batch,
        threads: options.session?.intraOpNumThreads ?? null,
        providers,
        sample: firstSource,
        turns: lat.turns,
      },
      ...(batches ? { batches } : {}),
    };
  } finally {
    for (const s of sessions) await s.release().catch(() => undefined);
  }
}

/**
 * Reported instead of −∞ dB (a reference output that is all zeros while the
 * quantized one is not), which JSON cannot carry.
 */
export const SQNR_FLOOR_DB = -999;

function checkBatchSize(b: number, option: string): void {
  if (!(Number.isInteger(b) && b >= 1)) throw new UsageError(`${option}: batch sizes must be positive integers (got ${b})`);
}

/** What both models allow: the stricter of the two axes. */
function combineAxes(a: BatchAxis, b: BatchAxis): BatchAxis {
  if (a.kind === 'none') return a;
  if (b.kind === 'none') return b;
  if (a.kind === 'dynamic') return b;
  if (b.kind === 'dynamic') return a;
  return a.size === b.size ? a : { kind: 'none', reason: `the models' batch dimensions differ (${a.size} and ${b.size})` };
}

function batchFeeds(rows: RowCollector | undefined, batch: number): Record<string, ort.Tensor> {
  if (!rows) throw new RuntimeFailure(`batch ${batch}: no rows were collected`);
  try {
    return rows.feeds(batch);
  } catch (err) {
    throw new RuntimeFailure(`cannot make a batch of ${batch}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Refuses two models whose inputs differ: other names, other element types,
 * another rank, or fixed dimensions of different sizes.
 */
export function checkSameInputs(a: ort.InferenceSession, b: ort.InferenceSession, fileA: string, fileB: string): void {
  const namesA = [...a.inputNames].sort();
  const namesB = [...b.inputNames].sort();
  if (namesA.join('\u0000') !== namesB.join('\u0000')) {
    throw new RuntimeFailure(`the models take different inputs: ${fileA} takes ${namesA.join(', ') || 'none'}; ` +
      `${fileB} takes ${namesB.join(', ') || 'none'}`);
  }
  const metaB = new Map((b.inputMetadata ?? []).map((m) => [m.name, m]));
  for (const ma of a.inputMetadata ?? []) {
    const mb = metaB.get(ma.name);
    if (!mb || !ma.isTensor || !mb.isTensor) continue;
    const shape = (s: ReadonlyArray<number | string>): string => `[${s.map((d) => (typeof d === 'string' ? d || '?' : d)).join(',')}]`;
    const differ = ma.type !== mb.type || ma.shape.length !== mb.shape.length ||
      ma.shape.some((d, i) => typeof d === 'number' && typeof mb.shape[i] === 'number' && d !== mb.shape[i]);
    if (differ) {
      throw new RuntimeFailure(`input '${ma.name}' differs between the models: ${ma.type} ${shape(ma.shape)} in ${fileA}, ` +
        `${mb.type} ${shape(mb.shape)} in ${fileB}`);
    }
  }
}

async function createSession(file: string, opts: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(file, opts);
  } catch (err) {
    throw new RuntimeFailure(`${file}: ONNX Runtime cannot load it: ${(err as Error).message}`, { cause: err });
  }
}

async function runSession(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
  file: string,
  source: string,
): Promise<ort.InferenceSession.ReturnType> {
  try {
    return await session.run(feeds);
  } catch (err) {
    throw new RuntimeFailure(`${file}: ONNX Runtime failed on sample ${source}: ${(err as Error).message}`, { cause: err });
  }
}

const DTYPES = new Set<string>(['float32', 'float64', 'float16', 'int8', 'uint8', 'int16', 'uint16',
  'int32', 'uint32', 'int64', 'uint64', 'bool']);

/**
 * The model's inputs as validateSample wants them. Inputs whose type ORT
 * reports as one a sample cannot hold, or whose shape it does not know (an
 * empty list), are checked only for presence, with any dtype and shape.
 */
function inputSpecsOf(session: ort.InferenceSession): { full: InputSpec[]; presenceOnly: string[] } {
  const full: InputSpec[] = [];
  const presenceOnly: string[] = [];
  const meta = session.inputMetadata ?? [];
  for (const name of session.inputNames) {
    const m = meta.find((v) => v.name === name);
    if (m && m.isTensor && DTYPES.has(m.type) && m.shape.length > 0) {
      full.push({ name, dtype: m.type as DType, shape: [...m.shape] });
    } else {
      presenceOnly.push(name);
    }
  }
  return { full, presenceOnly };
}

function checkSample(sample: Sample, specs: { full: InputSpec[]; presenceOnly: string[] }): void {
  validateSample(sample, specs.full);
  for (const name of specs.presenceOnly) {
    if (!sample.inputs.has(name)) {
      const has = [...sample.inputs.keys()];
      throw new SampleMismatchError(sample.source, name,
        `missing input '${name}' (has: ${has.length ? has.join(', ') : 'no arrays'})`);
    }
  }
}

function isNumericTensor(v: ort.OnnxValue): v is ort.Tensor {
  return v instanceof ort.Tensor && v.type !== 'string';
}

function iterate(source: SampleSource): Iterable<Sample> | AsyncIterable<Sample> {
  return Symbol.iterator in source || Symbol.asyncIterator in source ? source : source.samples();
}

/** A label by file name ("001.png") or by the path's tail ("cat/001.png", "eval/cat/001.png"). */
function labelOf(labels: ReadonlyMap<string, number | readonly number[]>, source: string): number | readonly number[] | undefined {
  const parts = source.split(/[\\/]/);
  for (let k = 1; k <= Math.min(4, parts.length); k++) {
    const found = labels.get(parts.slice(-k).join('/'));
    if (found !== undefined) return found;
  }
  return undefined;
}

function carryOf(source: SampleSource): readonly CarryPair[] {
  return 'carry' in source && source.carry ? source.carry : [];
}

function totalOf(source: SampleSource): number | undefined {
  return 'count' in source && typeof source.count === 'number' ? source.count : undefined;
}
