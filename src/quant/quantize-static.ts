// Static INT8 quantization: plan with the rule table, calibrate activations
// in ONNX Runtime on the user's samples (MinMax), rewrite to QDQ.
import type { Model } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import { dirname } from 'node:path';
import { firstSample, openDataset, type Dataset, type DatasetOptions } from '../data/dataset.js';
import { generatedSample } from '../data/generated-feeds.js';
import { validateDataset, type InputSpec } from '../data/validate.js';
import { type CalibrationMethod, type Range } from '../calib/calibrate.js';
import { calibrateWithTable } from '../calib/calibrate-with-table.js';
import { probeShapes } from '../calib/probe-sizes.js';
import { defaultOpset, rankSensitiveInputs } from './opset.js';
import type { GraphEditor } from './graph-edit.js';
import { computeScaleZeroPoint } from './math/index.js';
import { openSessionFor } from './ort-session.js';
import { planQuantization, type QuantPlan } from './plan.js';
import { inputSpecs, modelFloatType, prepareModel } from './prepare.js';
import { rewriteQdq, type ActivationParams } from './qdq-rewrite.js';
import { groupNodes, type QuantizeOutcome } from './report.js';
import { WEIGHT_OPS } from './rules.js';
import { quantizeScopesWithoutCalibration } from './quantize-dynamic.js';
import type { NodeProto } from '../onnx/proto.js';

/**
 * Calibration sessions allocate from the system, not from ONNX Runtime's CPU
 * arena: with the arena, the run that first uses the memory pattern took a
 * second arena block as large as the first run's, so peak RSS on the 1024x1024
 * U-Net benchmark went from 1.4 GiB with one sample to 2.6 GiB with three
 * (1.43 GiB with three without the arena; the pattern alone off: 1.45 GiB).
 */
const CALIBRATION_SESSION = { enableCpuMemArena: false };

export const TOOL_VERSION = '0.1.0';

export interface StaticQuantizeOptions {
  /** Calibration samples (a folder or file openDataset reads); may be absent when loadCalibration gives the ranges. */
  calibrate?: string;
  /** How samples are read: image preprocessing, audio and text settings, max samples, shuffle, carry, bad samples. */
  data?: DatasetOptions;
  /** Write the calibration statistics (ranges, histograms) to this JSON file. */
  saveCalibration?: string;
  /** Take the ranges from a table saved by saveCalibration instead of running the samples. */
  loadCalibration?: string;
  /** Bytes of intermediate tensors exposed in one calibration run (default 2 GiB); more go in groups over several passes. */
  calibMemory?: number;

  perTensor?: boolean;
  /**
   * Weights in 7 bits ([-64, 64]); default true. Measured here (AMD EPYC, AVX2
   * without VNNI): ORT's fused u8 x s8 kernels saturate with full 8-bit
   * weights, MLP cosine 0.985 and 0.85 against 0.9996 and 0.9999 with
   * reduce_range; unfused (optimizations off) both were 0.9998+.
   */
  reduceRange?: boolean;
  exclude?: string[];
  /** Multiply-adds per activation element below which a weight op keeps int8 weights only (default 16; 0 quantizes all). */
  minIntensity?: number;
  /** MatMuls of two activations (attention) quantized too (rules.ts). */
  activationMatMuls?: boolean;
  /** How activation ranges are read from the samples (default minmax). */
  method?: CalibrationMethod;
  /** For the percentile method: the central share of values kept (default 99.999). */
  percentile?: number;
  /** Called after each calibration sample. */
  onProgress?: (done: number, total: number) => void;
}

export async function quantizeStatic(model: Model, opts: StaticQuantizeOptions): Promise<QuantizeOutcome> {
  const specs = inputSpecs(model.proto);
  // What the user is told in the report's notes: the sample pipeline, skipped samples, grouped passes.
  const dataNotes: string[] = [];
  const warnings: string[] = [];
  const dataset: Dataset | undefined = opts.calibrate
    ? openDataset(opts.calibrate, specs, { modelDir: dirname(model.file), ...opts.data, onWarning: (w) => warnings.push(w) }) : undefined;
  if (dataset) {
    dataNotes.push(...dataset.description);
    await validateDataset(dataset, specs);
    if (dataset.count === 0) throw new UsageError(`${opts.calibrate}: no calibration samples`);
  }
  // Without samples (ranges from a table), shapes are probed on a generated input.
  const first = dataset ? (await firstSample(dataset))!.inputs : generatedSample(specs).inputs;
  const names = specs.map((s) => s.name);
  const open = (m: ModelProto) => openSessionFor(m, model.file);
  // Below opset 13 a Softmax's meaning depends on its input's rank: measure it on a sample.
  const rankTensors = defaultOpset(model.proto) < 13 ? rankSensitiveInputs(model.proto) : [];
  const rankHints = new Map([...(await probeShapes(model.proto, rankTensors, modelFloatType(model.proto), first, names, open))].map(([k, d]) => [k, d.length]));
  const prepared = prepareModel(model, { perTensor: opts.perTensor, dequantizeLinear: true, rankHints });
  const { proto, uniqueName, editor, floatType, notes, perChannel } = prepared;
  notes.unshift(...dataNotes);
  if (!prepared.dequantizeAvailable) {
    throw new RuntimeFailure(`${model.file}: static quantization needs DequantizeLinear, but opset ${prepared.opset.from} cannot be raised: ${prepared.dequantizeBlockers.join('; ')}`);
  }

  const shapes = await probeShapes(proto, costTensors(editor), floatType, first, names, open);
  const bytesPer = floatType === 10 ? 2 : 4;
  const elementCounts = new Map([...shapes].map(([k, d]) => [k, d.reduce((a, b) => a * b, 1)]));
  const plan = planQuantization(editor, { perTensor: !perChannel, exclude: new Set(opts.exclude ?? []), elementCounts, minIntensity: opts.minIntensity, activationMatMuls: opts.activationMatMuls });
  notes.push(...plan.notes);

  const ranges = await calibrate(proto, plan, floatType, dataset, specs, model, opts,
    new Map([...shapes].map(([k, d]) => [k, d.reduce((a, b) => a * b, 1) * bytesPer])), notes);
  const params = activationParams(plan, ranges);
  const origin = rewriteQdq(model, editor, plan, params, { reduceRange: opts.reduceRange ?? true, floatType, uniqueName });
  // Bodies of If/Loop/Scan cannot be calibrated through graph outputs: their
  // weight ops are quantized as without samples (dynamic or weight-only).
  const inner = quantizeScopesWithoutCalibration(model, prepared, opts, (scope) => scope.depth > 0);
  for (const [k, v] of inner.origin) origin.set(k, v);
  const quantized = countByOp(plan);
  for (const [op, n] of Object.entries(inner.quantized)) quantized[op] = (quantized[op] ?? 0) + n;
  if (plan.quantizedNodes.size === 0 && plan.weightOnlyNodes.size === 0 && inner.origin.size === 0) {
    throw new RuntimeFailure(`${model.file}: nothing to quantize (${[...plan.floatNodes.keys()].join('; ')})`);
  }
  const merge = (a: Map<string, NodeProto[]>, b: Map<string, NodeProto[]>) => {
    for (const [reason, nodes] of b) a.set(`${reason} (in a subgraph)`, [...(a.get(reason) ?? []), ...nodes]);
    return a;
  };

  proto.metadataProps = [...(proto.metadataProps ?? []).filter((e) => e.key !== 'onnx-quantize'), {
    key: 'onnx-quantize',
    value: JSON.stringify({ version: TOOL_VERSION, mode: 'static', method: opts.method ?? 'minmax', samples: dataset?.count ?? 0, perChannel,
      reduceRange: opts.reduceRange ?? true, weights: 'int8', activations: 'uint8', exclude: opts.exclude ?? [] }),
  }];

  return {
    proto,
    origin,
    report: {
      mode: 'static', modeReason: dataset ? `calibrated (${opts.method ?? 'minmax'}) on ${dataset.count} sample${dataset.count === 1 ? '' : 's'}`
        : `ranges from ${opts.loadCalibration} (${opts.method ?? 'minmax'})`,
      samples: dataset?.count ?? 0, opset: prepared.opset, perChannel,
      quantized, float: groupNodes(merge(plan.floatNodes, inner.floatGroups)), weightOnly: groupNodes(merge(plan.weightOnlyNodes, inner.weightOnlyGroups)), fallbacks: [],
      foldedBatchNorms: prepared.foldedBatchNorms, promotedConstants: prepared.promotedConstants, notes,
      ...(warnings.length ? { warnings } : {}),
    },
  };
}

/** Inputs and outputs of weight ops: the tensors the cost rule needs sizes of. */
function costTensors(editor: GraphEditor): string[] {
  const names = new Set<string>();
  for (const n of editor.nodes) {
    if (!WEIGHT_OPS.has(n.opType ?? '') || n.domain || !editor.initializers.has(n.input?.[1] ?? '')) continue;
    for (const t of [n.input?.[0], n.output?.[0]]) if (t && !editor.initializers.has(t)) names.add(t);
  }
  return [...names];
}

function countByOp(plan: QuantPlan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const n of plan.quantizedNodes) counts[n.opType ?? ''] = (counts[n.opType ?? ''] ?? 0) + 1;
  return counts;
}

async function calibrate(proto: ModelProto, plan: QuantPlan, floatType: number, dataset: Dataset | undefined, specs: InputSpec[],
  model: Model, opts: StaticQuantizeOptions, tensorBytes: Map<string, number>, notes: string[]): Promise<Map<string, Range>> {
  const wanted = new Set<string>();
  for (const [tensor, source] of plan.activations) {
    if (source.kind === 'own') wanted.add(tensor);
    else if (source.kind === 'rangeOf') wanted.add(source.tensor);
  }
  const tensors = [...wanted];
  return calibrateWithTable(proto, model, tensors, floatType, dataset, specs.map((s) => s.name), (m) => openSessionFor(m, model.file, CALIBRATION_SESSION), {
    method: opts.method, percentile: opts.percentile, memoryBytes: opts.calibMemory, tensorBytes,
    onSample: (done, passes) => opts.onProgress?.(done, (dataset?.count ?? 0) * passes),
    onGroups: (groups, n) => notes.push(`calibrated ${n} tensors in ${groups} groups (one pass over the samples each) to stay within --calib-memory`),
    save: opts.saveCalibration, load: opts.loadCalibration, source: opts.calibrate ?? '',
  });
}

/** uint8 asymmetric parameters per activation; shared tensors take their source's. */
export function activationParams(plan: QuantPlan, ranges: Map<string, Range>): Map<string, ActivationParams> {
  const params = new Map<string, ActivationParams>();
  const resolve = (tensor: string, depth = 0): ActivationParams => {
    const known = params.get(tensor);
    if (known) return known;
    const source = plan.activations.get(tensor) ?? { kind: 'own' as const };
    let p: ActivationParams;
    if (source.kind === 'shared' && depth < 100) p = resolve(source.from, depth + 1);
    else {
      const range = source.kind === 'rangeOf' ? ranges.get(source.tensor) : source.kind === 'fixed' ? source : ranges.get(tensor);
      const r = range && Number.isFinite(range.min) && Number.isFinite(range.max) ? range : { min: 0, max: 0 };
      p = computeScaleZeroPoint(r.min, r.max, 0, 255, false);
    }
    params.set(tensor, p);
    return p;
  };
  for (const tensor of plan.activations.keys()) resolve(tensor);
  return params;
}
