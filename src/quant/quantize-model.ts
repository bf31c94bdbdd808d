// Static INT8 quantization, end to end on a loaded model: prepare the graph
// (Constant weights, BatchNorm folding, opset), plan with the rule table,
// calibrate activations in ONNX Runtime on the user's samples, rewrite to
// QDQ, and check that ONNX Runtime loads and runs the result.
import { cloneMessage } from '../onnx/clone.js';
import { DataType } from '../onnx/dtypes.js';
import { GraphIndex } from '../onnx/graph-index.js';
import type { Model } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { RuntimeFailure, UsageError } from '../errors.js';
import { openDataset, type Dataset } from '../calib/dataset.js';
import { validateDataset, type InputSpec } from '../calib/validate.js';
import { calibrateMinMax, type Range } from '../calib/minmax.js';
import { toFeeds } from '../calib/to-ort.js';
import type { DType } from '../calib/ndarray.js';
import { describeType } from '../onnx/summary.js';
import { foldBatchNorms } from './fold-batchnorm.js';
import { GraphEditor, nodeLabel } from './graph-edit.js';
import { computeScaleZeroPoint } from './math/index.js';
import { checkOpsetUpgrade, defaultOpset, upgradeOpset } from './opset.js';
import { openSessionFor } from './ort-session.js';
import { planQuantization, type QuantPlan } from './plan.js';
import { promoteConstants } from './promote-constants.js';
import { WEIGHT_OPS } from './rules.js';
import { probeElementCounts } from '../calib/probe-sizes.js';
import { rewriteQdq, type ActivationParams } from './qdq-rewrite.js';

export interface StaticQuantizeOptions {
  /** Folder of .npz samples, or one .npy (single-input models). */
  calibrate: string;
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
  /** Called after each calibration sample. */
  onProgress?: (done: number, total: number) => void;
}

export interface QuantizeReport {
  mode: 'static';
  samples: number;
  opset: { from: number; to: number };
  perChannel: boolean;
  quantized: Record<string, number>;
  float: Array<{ reason: string; nodes: string[] }>;
  /** Nodes with int8 weights but float activations, by reason. */
  weightOnly: Array<{ reason: string; nodes: string[] }>;
  foldedBatchNorms: number;
  promotedConstants: number;
  notes: string[];
}

export interface QuantizeOutcome {
  proto: ModelProto;
  report: QuantizeReport;
}

export const TOOL_VERSION = '0.1.0';

export function inputSpecs(proto: ModelProto): InputSpec[] {
  const inits = new Set((proto.graph!.initializer ?? []).map((t) => t.name));
  return (proto.graph!.input ?? []).filter((v) => !inits.has(v.name)).map((v) => {
    const d = describeType(v.type);
    return { name: v.name ?? '', dtype: d.type as DType, shape: d.shape ?? [] };
  });
}

function modelFloatType(proto: ModelProto): number {
  for (const v of proto.graph!.input ?? []) {
    const t = v.type?.tensorType?.elemType;
    if (t === DataType.FLOAT16) return DataType.FLOAT16;
  }
  return DataType.FLOAT;
}

export async function quantizeStatic(model: Model, opts: StaticQuantizeOptions): Promise<QuantizeOutcome> {
  const specs = inputSpecs(model.proto);
  const dataset: Dataset = openDataset(opts.calibrate, specs.map((s) => s.name));
  validateDataset(dataset, specs);
  if (dataset.count === 0) throw new UsageError(`${opts.calibrate}: no calibration samples`);

  const proto = cloneMessage(model.proto);
  const index = new GraphIndex(proto);
  const uniqueName = (base: string): string => index.uniqueName(base);
  const notes: string[] = [];
  const floatType = modelFloatType(proto);

  // The editor is made after promotion so it sees the promoted initializers.
  const promotedConstants = promoteConstants(proto.graph!);
  const editor = new GraphEditor(proto.graph!);
  const folded = foldBatchNorms(model, editor, uniqueName);

  // Opset: per-channel DequantizeLinear needs 13, FLOAT16 scales need 19.
  const from = defaultOpset(proto);
  let perChannel = !opts.perTensor;
  const needed = floatType === DataType.FLOAT16 ? 19 : perChannel ? 13 : 10;
  let to = from;
  if (from < needed) {
    const check = checkOpsetUpgrade(proto, from, needed);
    if (check.ok) {
      upgradeOpset(proto, from, needed, uniqueName);
      to = needed;
      notes.push(`opset raised from ${from} to ${needed} (${needed === 19 ? 'FLOAT16 scales' : 'per-channel DequantizeLinear'} needs it)`);
    } else if (floatType !== DataType.FLOAT16 && from >= 10 && perChannel) {
      perChannel = false;
      notes.push(`opset ${from} kept (raising it would change: ${check.blockers.join('; ')}): weights quantized per tensor`);
    } else {
      throw new RuntimeFailure(`${model.file}: cannot quantize at opset ${from} and cannot raise it to ${needed}: ${check.blockers.join('; ')}`);
    }
  }

  const elementCounts = await probeElementCounts(proto, costTensors(editor), floatType, dataset.samples().next().value!.inputs,
    specs.map((s) => s.name), (m) => openSessionFor(m, model.file));
  const plan = planQuantization(editor, { perTensor: !perChannel, exclude: new Set(opts.exclude ?? []), elementCounts, minIntensity: opts.minIntensity });
  if (plan.quantizedNodes.size === 0 && plan.weightOnlyNodes.size === 0) throw new RuntimeFailure(`${model.file}: nothing to quantize (${[...plan.floatNodes.keys()].join('; ')})`);
  notes.push(...plan.notes);

  const ranges = await calibrate(proto, plan, floatType, dataset, specs, model.file, opts);
  const params = activationParams(plan, ranges);
  rewriteQdq(model, editor, plan, params, { reduceRange: opts.reduceRange ?? true, floatType, uniqueName });

  proto.metadataProps = [...(proto.metadataProps ?? []).filter((e) => e.key !== 'onnx-quantize'), {
    key: 'onnx-quantize',
    value: JSON.stringify({ version: TOOL_VERSION, mode: 'static', method: 'minmax', samples: dataset.count, perChannel,
      reduceRange: opts.reduceRange ?? true, weights: 'int8', activations: 'uint8', exclude: opts.exclude ?? [] }),
  }];

  await checkInRuntime(proto, model.file, dataset, specs);
  return {
    proto,
    report: {
      mode: 'static', samples: dataset.count, opset: { from, to }, perChannel,
      quantized: countByOp(plan), float: [...plan.floatNodes].map(([reason, nodes]) => ({ reason, nodes: nodes.map(nodeLabel) })),
      weightOnly: [...plan.weightOnlyNodes].map(([reason, nodes]) => ({ reason, nodes: nodes.map(nodeLabel) })),
      foldedBatchNorms: folded.length, promotedConstants, notes,
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

async function calibrate(proto: ModelProto, plan: QuantPlan, floatType: number, dataset: Dataset, specs: InputSpec[],
  file: string, opts: StaticQuantizeOptions): Promise<Map<string, Range>> {
  const wanted = new Set<string>();
  for (const [tensor, source] of plan.activations) {
    if (source.kind === 'own') wanted.add(tensor);
    else if (source.kind === 'rangeOf') wanted.add(source.tensor);
  }
  const tensors = [...wanted];
  return calibrateMinMax(proto, tensors, floatType, dataset, specs.map((s) => s.name),
    (m) => openSessionFor(m, file), (done) => opts.onProgress?.(done, dataset.count));
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

/** ONNX Runtime must load the result and run it on a sample, with finite outputs. */
async function checkInRuntime(proto: ModelProto, file: string, dataset: Dataset, specs: InputSpec[]): Promise<void> {
  let session;
  try {
    session = await openSessionFor(proto, file);
  } catch (err) {
    const message = (err as Error).message;
    const node = /node[^']*'([^']+)'|Node \(([^)]+)\)/i.exec(message);
    throw new RuntimeFailure(`the quantized model was refused by ONNX Runtime${node ? ` at node ${node[1] ?? node[2]}` : ''}: ${message}`, { cause: err });
  }
  try {
    const first = dataset.samples().next();
    if (first.done) return;
    const outputs = await session.run(toFeeds(first.value.inputs, specs.map((s) => s.name)));
    for (const [name, t] of Object.entries(outputs)) {
      if (t.type !== 'float32') continue;
      const data = t.data as Float32Array;
      if (!data.every(Number.isFinite)) throw new RuntimeFailure(`the quantized model gives non-finite values in output '${name}'`);
    }
  } catch (err) {
    if (err instanceof RuntimeFailure) throw err;
    throw new RuntimeFailure(`the quantized model failed to run in ONNX Runtime: ${(err as Error).message}`, { cause: err });
  } finally {
    await session.release();
  }
}
