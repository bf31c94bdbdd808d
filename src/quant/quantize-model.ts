// The library's entry point for quantizing: picks the mode (static with
// samples, dynamic without, weight-only on request), runs it, and makes sure
// ONNX Runtime loads and runs the result with finite outputs. A node the
// runtime refuses or breaks goes back to float and the model is quantized
// again without it; a model that cannot be made valid is an error naming the
// node and the runtime's message.
import { dirname } from 'node:path';
import ort from 'onnxruntime-node';
import { RuntimeFailure } from '../errors.js';
import type { Model } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { firstSample, openDataset } from '../data/dataset.js';
import { toFeeds } from '../data/to-ort.js';
import { generatedFeeds } from '../data/generated-feeds.js';
import { vocabFromModel } from '../data/transformer-feeds.js';
import { inputSpecs } from './prepare.js';
import { quantizeStatic, TOOL_VERSION, type StaticQuantizeOptions } from './quantize-static.js';
import { quantizeWithoutCalibration } from './quantize-dynamic.js';
import { quantizeNBits } from './nbits/quantize-nbits.js';
import type { NBitsOptions } from './nbits/options.js';
import { findRuntimeProblem, type RuntimeProblem } from './runtime-check.js';
import type { QuantizeOutcome, QuantizeReport } from './report.js';

export interface QuantizeOptions extends StaticQuantizeOptions {
  /** int8 weights only, float activations (smallest file, float math). */
  weightOnly?: boolean;
  /** How many nodes may fall back to float before giving up (default 16). */
  maxFallbacks?: number;
  /** Samples to run the check on when there are no calibration samples (the evaluation set, say). */
  checkSamples?: string;
  /** Low-bit weights (MatMulNBits, bnb4, INT4 DequantizeLinear) instead of INT8; `calibrate` then feeds GPTQ. */
  nbits?: NBitsOptions;
  /**
   * Where the output came from, recorded in its `onnx-quantize` metadata entry
   * (the batch runner puts the source's and the settings' digests here, to
   * tell later whether the output is up to date). Plain values only: the
   * entry must be the same bytes for the same inputs.
   */
  provenance?: Record<string, string | number>;
}

/** One quantization with the given nodes kept float; metadata stamped. */
export async function quantizeOnce(model: Model, opts: QuantizeOptions, exclude: string[]): Promise<QuantizeOutcome> {
  const outcome = opts.nbits
    ? await quantizeNBits(model, { ...opts.nbits, calibrate: opts.nbits.calibrate ?? opts.calibrate, exclude, onProgress: opts.nbits.onProgress ?? opts.onProgress })
    : (opts.calibrate || opts.loadCalibration) && !opts.weightOnly
      ? await quantizeStatic(model, { ...opts, exclude })
      : await quantizeWithoutCalibration(model, { ...opts, exclude });
  stampMetadata(outcome.proto, outcome.report, opts, exclude);
  return outcome;
}

function stampMetadata(proto: ModelProto, r: QuantizeReport, opts: QuantizeOptions, exclude: string[]): void {
  proto.metadataProps = [...(proto.metadataProps ?? []).filter((e) => e.key !== 'onnx-quantize'), {
    key: 'onnx-quantize',
    value: JSON.stringify({ version: TOOL_VERSION, mode: r.mode, samples: r.samples, perChannel: r.perChannel,
      reduceRange: opts.reduceRange ?? true, weights: r.weightFormat ?? 'int8', ...(r.mode === 'low-bit' ? { settings: r.modeReason } : {}),
      activations: r.mode === 'static' ? 'uint8' : r.mode === 'dynamic' ? 'uint8 per call' : 'float', exclude, ...opts.provenance }),
  }];
}

export interface CheckInput {
  /** Feeds to run; undefined: no input is known to fit, so only loading is checked. */
  feeds?: Record<string, ort.Tensor>;
  /** The feeds were generated (not a sample): a failure may be the input's, not the model's. */
  generated: boolean;
  note?: string;
}

/** The input the check runs: the first calibration (or given) sample, else one generated to fit the inputs. */
export async function checkInput(model: Model, opts: QuantizeOptions): Promise<CheckInput> {
  const specs = inputSpecs(model.proto);
  const names = specs.map((s) => s.name);
  const samples = opts.calibrate ?? opts.checkSamples;
  if (samples) {
    const first = await firstSample(openDataset(samples, specs, { ...opts.data, modelDir: dirname(model.file) }));
    if (first) return { feeds: toFeeds(first.inputs, names), generated: false };
  }
  try {
    return { feeds: generatedFeeds(specs, { vocabSize: vocabFromModel(model.proto) }), generated: true };
  } catch (err) {
    // An input type no tensor can be made for here (string, bfloat16, sequence, optional).
    return { generated: true, note: `no sample was given and no input can be generated for it (${(err as Error).message}): the output was checked to load, not to run` };
  }
}

/**
 * When the quantized model fails on a generated input, asks whether the
 * float model runs on it at all (an audio model given one sample at sample
 * rate 0 does not): if not, the input is to blame, and the check falls back
 * to loading only, with a note. Returns the problem that remains.
 */
export async function excuseGeneratedInput(problem: RuntimeProblem | undefined, check: CheckInput, originalFile: string): Promise<RuntimeProblem | undefined> {
  if (!problem || !check.generated || !check.feeds) return problem;
  let originalOk = false;
  try {
    const session = await ort.InferenceSession.create(originalFile, { logSeverityLevel: 3 });
    try {
      const outputs = await session.run(check.feeds);
      originalOk = Object.values(outputs).every((t) => t.type !== 'float32' || (t.data as Float32Array).every(Number.isFinite));
    } finally {
      await session.release();
    }
  } catch {
    originalOk = false;
  }
  if (originalOk || problem.message.startsWith('ONNX Runtime refused')) return problem;
  check.feeds = undefined;
  check.note = 'no sample was given and the float model does not run on a generated input either: the output was checked to load, not to run (pass --eval samples to check it runs)';
  return undefined;
}

/**
 * Runs `attempt` with a growing list of nodes kept in float until it reports
 * no runtime problem. Each problem must name nodes not excluded yet.
 */
export async function withFallbacks<T extends { report: QuantizeReport }>(file: string, opts: QuantizeOptions,
  attempt: (exclude: string[]) => Promise<{ result: T; problem?: RuntimeProblem }>): Promise<T> {
  const exclude = [...(opts.exclude ?? [])];
  const fallbacks: QuantizeReport['fallbacks'] = [];
  for (;;) {
    const { result, problem } = await attempt([...exclude]);
    if (!problem) {
      result.report.fallbacks = fallbacks;
      return result;
    }
    const blamed = problem.nodes.filter((n) => n && !exclude.includes(n));
    if (blamed.length === 0) await refuseIfInputFails(file);
    if (blamed.length === 0 || fallbacks.length >= (opts.maxFallbacks ?? 16)) {
      const where = problem.nodes.length ? ` (at node ${problem.nodes.join(', ')})` : '';
      throw new RuntimeFailure(`${file}: the quantized model is not valid${where} and nothing more can be left in float: ${problem.message}`);
    }
    for (const node of blamed) {
      exclude.push(node);
      fallbacks.push({ node, reason: problem.message.split('\n')[0]!.slice(0, 300) });
    }
  }
}

/** When nothing can be blamed: if ONNX Runtime cannot load the input model either, say that instead. */
async function refuseIfInputFails(file: string): Promise<void> {
  let message: string | undefined;
  try {
    await (await ort.InferenceSession.create(file, { logSeverityLevel: 3 })).release();
  } catch (err) {
    message = (err as Error).message.split('\n')[0];
  }
  if (message !== undefined) throw new RuntimeFailure(`${file}: ONNX Runtime cannot load the input model itself, so its quantized form cannot be checked: ${message}`);
}

/** Quantizes a model held in memory and checks the result in memory. */
export async function quantizeModel(model: Model, opts: QuantizeOptions): Promise<QuantizeOutcome> {
  const check = await checkInput(model, opts);
  const outcome = await withFallbacks(model.file, opts, async (exclude) => {
    const o = await quantizeOnce(model, opts, exclude);
    const problem = await findRuntimeProblem(o.proto, model.file, check.feeds, o.origin, { prepack: !!opts.nbits });
    return { result: o, problem: await excuseGeneratedInput(problem, check, model.file) };
  });
  if (check.note) outcome.report.notes.push(check.note);
  return outcome;
}

export { quantizeStatic, TOOL_VERSION, inputSpecs };
export type { StaticQuantizeOptions, QuantizeOutcome };
export type { QuantizeReport } from './report.js';
