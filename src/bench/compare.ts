// Original vs quantized, side by side: both models run on every sample, each
// output's fidelity is folded sample by sample (memory holds one sample), the
// top-1 accuracy of both is counted where labels are given, and latency is
// measured on the first sample. The result is plain data (JSON-serialisable)
// for the terminal table (report/compare-text.ts) and --json.
import { existsSync, statSync } from 'node:fs';
import { ndArrayToTensor } from '../calib/to-ort.js';
import { basename } from 'node:path';
import ort from 'onnxruntime-node';
import type { Sample } from '../calib/dataset.js';
import type { DType, NdArray } from '../calib/ndarray.js';
import { validateSample, type InputSpec } from '../calib/validate.js';
import { SampleMismatchError } from '../calib/errors.js';
import { RuntimeFailure } from '../errors.js';
import { FidelityAccumulator, isClassifierShape, toFloat32, type NumericArray } from './metrics.js';
import { measureLatency, type LatencyOptions, type LatencyStats } from './latency.js';

/** Samples to compare on: a Dataset from openDataset, or any iterable of samples. */
export type SampleSource = Iterable<Sample> | { samples(): Iterable<Sample>; count?: number };

export interface CompareSessionOptions {
  /** threads inside one operator (default: ONNX Runtime's, one per physical core) */
  intraOpNumThreads?: number;
  /** threads across operators (default: ONNX Runtime's) */
  interOpNumThreads?: number;
  /** execution providers, in order of preference (default ['cpu']) */
  executionProviders?: string[];
  /** graph optimisation level (default 'all', which is where QDQ fusion happens) */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
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
  /** called after each sample */
  onProgress?: (done: number, total: number | undefined) => void;
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
  /** the sample timed */
  sample: string;
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
  latency: LatencyResult;
}

/** Size of a model on disk: the .onnx file plus its `<file>.data` side file if there is one. */
export function modelFileInfo(file: string): ModelFileInfo {
  let bytes = statSync(file).size;
  const side = `${file}.data`;
  if (existsSync(side)) bytes += statSync(side).size;
  return { file, bytes };
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
    const inputSpecs = inputSpecsOf(original);
    const inputNames = original.inputNames;

    const accumulators = new Map<string, FidelityAccumulator>();
    let classifierOutput: string | undefined;
    let firstFeeds: Record<string, ort.Tensor> | undefined;
    let firstSource = '';
    let samples = 0;
    const total = totalOf(options.dataset);
    const labels = options.labels;

    for (const sample of iterate(options.dataset)) {
      checkSample(sample, inputSpecs);
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of inputNames) feeds[name] = ndArrayToTensor(sample.inputs.get(name)!);
      const ref = await runSession(original, feeds, options.original, sample.source);
      const test = await runSession(quantized, feeds, options.quantized, sample.source);
      if (!firstFeeds) {
        firstFeeds = feeds;
        firstSource = sample.source;
        classifierOutput = outputNames.find((n) => {
          const t = ref[n];
          return t !== undefined && isNumericTensor(t) && isClassifierShape(t.dims);
        });
      }
      const label = labels?.get(basename(sample.source));
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
    if (labels) {
      const s = classifierOutput ? accumulators.get(classifierOutput)?.summary() : undefined;
      if (!classifierOutput || !s) {
        accuracySkipped = 'no output is classifier-shaped ([N, C] or [C] with C ≥ 2)';
      } else if (s.labeled === 0) {
        accuracySkipped = 'no sample file name is in the labels';
      } else {
        const orig = s.referenceCorrect / s.labeled;
        const quant = s.testCorrect / s.labeled;
        accuracy = {
          output: classifierOutput,
          labeled: s.labeled,
          original: orig,
          quantized: quant,
          drop: (orig - quant) * 100,
        };
      }
    }

    const lat = await measureLatency(original, quantized, firstFeeds, options.latency);
    return {
      original: originalInfo,
      quantized: quantizedInfo,
      sizeRatio: quantizedInfo.bytes / originalInfo.bytes,
      samples,
      outputs,
      ...(accuracy ? { accuracy } : {}),
      ...(accuracySkipped ? { accuracySkipped } : {}),
      latency: {
        original: lat.a,
        quantized: lat.b,
        speedup: lat.speedup,
        speedupInterval: lat.interval,
        batch: lat.batch,
        threads: options.session?.intraOpNumThreads ?? null,
        providers,
        sample: firstSource,
      },
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

function iterate(source: SampleSource): Iterable<Sample> {
  return Symbol.iterator in source ? source : source.samples();
}

function totalOf(source: SampleSource): number | undefined {
  return 'count' in source && typeof source.count === 'number' ? source.count : undefined;
}
