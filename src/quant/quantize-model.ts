// The library's entry point for quantizing: picks the mode (static with
// samples, dynamic without, weight-only on request), runs it, and makes sure
// ONNX Runtime loads and runs the result with finite outputs. A node the
// runtime refuses or breaks goes back to float and the model is quantized
// again without it; a model that cannot be made valid is an error naming the
// node and the runtime's message.
import type ort from 'onnxruntime-node';
import { RuntimeFailure } from '../errors.js';
import type { Model } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { openDataset } from '../calib/dataset.js';
import { toFeeds } from '../calib/to-ort.js';
import { generatedFeeds } from '../calib/generated-feeds.js';
import { inputSpecs } from './prepare.js';
import { quantizeStatic, TOOL_VERSION, type StaticQuantizeOptions } from './quantize-static.js';
import { quantizeWithoutCalibration } from './quantize-dynamic.js';
import { findRuntimeProblem, type RuntimeProblem } from './runtime-check.js';
import type { QuantizeOutcome, QuantizeReport } from './report.js';

export interface QuantizeOptions extends Omit<StaticQuantizeOptions, 'calibrate'> {
  /** Samples for static quantization; without them: dynamic. */
  calibrate?: string;
  /** int8 weights only, float activations (smallest file, float math). */
  weightOnly?: boolean;
  /** How many nodes may fall back to float before giving up (default 16). */
  maxFallbacks?: number;
}

/** One quantization with the given nodes kept float; metadata stamped. */
export async function quantizeOnce(model: Model, opts: QuantizeOptions, exclude: string[]): Promise<QuantizeOutcome> {
  const outcome = opts.calibrate && !opts.weightOnly
    ? await quantizeStatic(model, { ...opts, calibrate: opts.calibrate, exclude })
    : await quantizeWithoutCalibration(model, { ...opts, exclude });
  stampMetadata(outcome.proto, outcome.report, opts, exclude);
  return outcome;
}

function stampMetadata(proto: ModelProto, r: QuantizeReport, opts: QuantizeOptions, exclude: string[]): void {
  proto.metadataProps = [...(proto.metadataProps ?? []).filter((e) => e.key !== 'onnx-quantize'), {
    key: 'onnx-quantize',
    value: JSON.stringify({ version: TOOL_VERSION, mode: r.mode, samples: r.samples, perChannel: r.perChannel,
      reduceRange: opts.reduceRange ?? true, weights: 'int8',
      activations: r.mode === 'static' ? 'uint8' : r.mode === 'dynamic' ? 'uint8 per call' : 'float', exclude }),
  }];
}

/** The input the check runs: the first calibration sample, or one generated to fit the inputs. */
export function checkFeeds(model: Model, opts: QuantizeOptions): Record<string, ort.Tensor> {
  const names = inputSpecs(model.proto).map((s) => s.name);
  if (opts.calibrate && !opts.weightOnly) {
    const first = openDataset(opts.calibrate, names).samples().next();
    if (!first.done) return toFeeds(first.value.inputs, names);
  }
  return generatedFeeds(inputSpecs(model.proto));
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

/** Quantizes a model held in memory and checks the result in memory. */
export async function quantizeModel(model: Model, opts: QuantizeOptions): Promise<QuantizeOutcome> {
  const feeds = checkFeeds(model, opts);
  return withFallbacks(model.file, opts, async (exclude) => {
    const outcome = await quantizeOnce(model, opts, exclude);
    return { result: outcome, problem: await findRuntimeProblem(outcome.proto, model.file, feeds, outcome.origin) };
  });
}

export { quantizeStatic, TOOL_VERSION, inputSpecs };
export type { StaticQuantizeOptions, QuantizeOutcome };
export type { QuantizeReport } from './report.js';
