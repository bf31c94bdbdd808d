// What every mode does before quantizing: an editable copy of the model,
// names for unnamed nodes (so a fallback or --exclude can point at them),
// Constant weights as initializers in every graph, BatchNorm folded into the
// Conv before it, and the opset raised as far as DequantizeLinear needs.
import { cloneMessage } from '../onnx/clone.js';
import { DataType } from '../onnx/dtypes.js';
import { GraphIndex } from '../onnx/graph-index.js';
import type { Model } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { describeType } from '../onnx/summary.js';
import type { InputSpec } from '../data/validate.js';
import type { DType } from '../data/ndarray.js';
import { foldBatchNorms, foldConvAffine } from './fold-batchnorm.js';
import { GraphEditor } from './graph-edit.js';
import { checkOpsetUpgrade, defaultOpset, upgradeOpset } from './opset.js';
import { promoteConstants } from './promote-constants.js';

export interface Prepared {
  proto: ModelProto;
  index: GraphIndex;
  uniqueName: (base: string) => string;
  /** Editor over the main graph. */
  editor: GraphEditor;
  floatType: number;
  notes: string[];
  promotedConstants: number;
  foldedBatchNorms: number;
  opset: { from: number; to: number };
  /** Weights may be per channel (DequantizeLinear with axis, opset >= 13). */
  perChannel: boolean;
  /** DequantizeLinear is available at all (opset >= 10, or 19 for FLOAT16 scales). */
  dequantizeAvailable: boolean;
  /** Why DequantizeLinear is not available, when it is not. */
  dequantizeBlockers: string[];
}

export function inputSpecs(proto: ModelProto): InputSpec[] {
  const inits = new Set((proto.graph!.initializer ?? []).map((t) => t.name));
  return (proto.graph!.input ?? []).filter((v) => !inits.has(v.name)).map((v) => {
    const d = describeType(v.type);
    return { name: v.name ?? '', dtype: d.type as DType, shape: d.shape ?? [] };
  });
}

/** FLOAT16 when the model takes half inputs (its weights and scales are half too), else FLOAT. */
export function modelFloatType(proto: ModelProto): number {
  for (const v of proto.graph!.input ?? []) {
    if (v.type?.tensorType?.elemType === DataType.FLOAT16) return DataType.FLOAT16;
  }
  return DataType.FLOAT;
}

/** `dequantizeLinear`: the mode stores weights behind DequantizeLinear (static QDQ), so the opset may need raising. */
export function prepareModel(model: Model, opts: { perTensor?: boolean; dequantizeLinear: boolean; rankHints?: Map<string, number> }): Prepared {
  const proto = cloneMessage(model.proto);
  const index = new GraphIndex(proto);
  const uniqueName = (base: string): string => index.uniqueName(base);
  const notes: string[] = [];
  const floatType = modelFloatType(proto);

  let promotedConstants = 0;
  for (const scope of index.scopes) {
    scope.graph.node?.forEach((n, i) => {
      if (!n.name) n.name = uniqueName(`${n.opType ?? 'node'}_${scope.depth ? `s${scope.depth}_` : ''}${i}`);
    });
    promotedConstants += promoteConstants(scope.graph);
  }
  // The editor is made after promotion so it sees the promoted initializers.
  const editor = new GraphEditor(proto.graph!);
  const foldedBatchNorms = foldBatchNorms(model, editor, uniqueName).length;
  const foldedAffine = foldConvAffine(model, editor, uniqueName).length;
  if (foldedAffine) notes.push(`folded ${foldedAffine} Mul/Add by constants into the Conv before them`);

  // Opset: per-channel DequantizeLinear needs 13, FLOAT16 scales need 19.
  const from = defaultOpset(proto);
  let perChannel = !opts.perTensor;
  let dequantizeAvailable = true;
  let dequantizeBlockers: string[] = [];
  const needed = floatType === DataType.FLOAT16 ? 19 : perChannel ? 13 : 10;
  let to = from;
  if (opts.dequantizeLinear && from < needed) {
    const check = checkOpsetUpgrade(proto, from, needed, opts.rankHints);
    // Per tensor needs only opset 10: the fallback when 13 is out of reach.
    const toTen = needed > 10 && from < 10 && floatType !== DataType.FLOAT16 ? checkOpsetUpgrade(proto, from, 10, opts.rankHints) : undefined;
    if (check.ok) {
      upgradeOpset(proto, from, needed, uniqueName);
      to = needed;
      notes.push(`opset raised from ${from} to ${needed} (${needed === 19 ? 'FLOAT16 scales' : 'per-channel DequantizeLinear'} needs it)`);
    } else if (floatType !== DataType.FLOAT16 && from >= 10 && perChannel) {
      perChannel = false;
      notes.push(`opset ${from} kept (raising it would change: ${check.blockers.join('; ')}): weights quantized per tensor`);
    } else if (toTen?.ok) {
      upgradeOpset(proto, from, 10, uniqueName);
      to = 10;
      perChannel = false;
      notes.push(`opset raised from ${from} to 10 only (13 would change: ${check.blockers.join('; ')}): weights quantized per tensor`);
    } else {
      dequantizeAvailable = false;
      dequantizeBlockers = check.blockers;
      notes.push(`opset ${from} kept and no DequantizeLinear used (raising it to ${needed} would change: ${check.blockers.join('; ')})`);
    }
  }
  return { proto, index, uniqueName, editor, floatType, notes, promotedConstants, foldedBatchNorms, opset: { from, to }, perChannel,
    dequantizeAvailable, dequantizeBlockers };
}
