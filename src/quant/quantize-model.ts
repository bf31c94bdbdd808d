// The library's entry point for quantizing a loaded model: picks the mode
// (static with samples, dynamic without, weight-only on request), runs it,
// and makes sure ONNX Runtime loads and runs the result with finite
// outputs. A node the runtime refuses or breaks goes back to float and the
// model is quantized again without it; a model that cannot be made valid is
// an error naming the node and the runtime's message.
import type ort from 'onnxruntime-node';
import { RuntimeFailure } from '../errors.js';
import type { Model } from '../onnx/model.js';
import { openDataset } from '../calib/dataset.js';
import { toFeeds } from '../calib/to-ort.js';
import { generatedFeeds } from '../calib/generated-feeds.js';
import { inputSpecs } from './prepare.js';
import { quantizeStatic, TOOL_VERSION, type StaticQuantizeOptions } from './quantize-static.js';
import { quantizeWithoutCalibration } from './quantize-dynamic.js';
import { findRuntimeProblem } from './runtime-check.js';
import type { QuantizeOutcome } from './report.js';

export interface QuantizeOptions extends Omit<StaticQuantizeOptions, 'calibrate'> {
  /** Samples for static quantization; without them: dynamic. */
  calibrate?: string;
  /** int8 weights only, float activations (smallest file, float math). */
  weightOnly?: boolean;
  /** How many nodes may fall back to float before giving up (default 16). */
  maxFallbacks?: number;
}

export async function quantizeModel(model: Model, opts: QuantizeOptions): Promise<QuantizeOutcome> {
  const specs = inputSpecs(model.proto);
  const feeds: Record<string, ort.Tensor> = opts.calibrate && !opts.weightOnly
    ? toFeeds(openDataset(opts.calibrate, specs.map((s) => s.name)).samples().next().value?.inputs ?? new Map(), specs.map((s) => s.name))
    : generatedFeeds(specs);
  const exclude = [...(opts.exclude ?? [])];
  const fallbacks: Array<{ node: string; reason: string }> = [];
  for (let attempt = 0; ; attempt++) {
    const outcome = opts.calibrate && !opts.weightOnly
      ? await quantizeStatic(model, { ...opts, calibrate: opts.calibrate, exclude })
      : await quantizeWithoutCalibration(model, { ...opts, exclude });
    const problem = await findRuntimeProblem(outcome.proto, model.file, feeds, outcome.origin);
    if (!problem) {
      outcome.report.fallbacks = fallbacks;
      const r = outcome.report;
      outcome.proto.metadataProps = [...(outcome.proto.metadataProps ?? []).filter((e) => e.key !== 'onnx-quantize'), {
        key: 'onnx-quantize',
        value: JSON.stringify({ version: TOOL_VERSION, mode: r.mode, samples: r.samples, perChannel: r.perChannel,
          reduceRange: opts.reduceRange ?? true, weights: 'int8', activations: r.mode === 'static' ? 'uint8' : r.mode === 'dynamic' ? 'uint8 per call' : 'float',
          exclude }),
      }];
      return outcome;
    }
    const blamed = problem.nodes.filter((n) => n && !exclude.includes(n));
    if (blamed.length === 0 || fallbacks.length >= (opts.maxFallbacks ?? 16)) {
      const where = problem.nodes.length ? ` (at node ${problem.nodes.join(', ')})` : '';
      throw new RuntimeFailure(`${model.file}: the quantized model is not valid${where} and nothing more can be left in float: ${problem.message}`);
    }
    for (const node of blamed) {
      exclude.push(node);
      fallbacks.push({ node, reason: problem.message.split('\n')[0]!.slice(0, 300) });
    }
  }
}

export { quantizeStatic, TOOL_VERSION, inputSpecs };
export type { StaticQuantizeOptions, QuantizeOutcome };
export type { QuantizeReport } from './report.js';
