// Quantization without calibration data, in every graph (subgraphs too):
// - dynamic: MatMul and Gemm with a constant 2-D weight become ONNX
//   Runtime's DynamicQuantizeMatMul (activations quantized per call, int8
//   per-column weights, the float scale and bias applied inside: the fused
//   form of DynamicQuantizeLinear + MatMulInteger + Mul);
// - weight-only: int8 weights behind DequantizeLinear for Conv (ORT has no
//   CPU ConvInteger kernel for int8 weights, so Conv is never made
//   ConvInteger), ConvTranspose, Gemm/MatMul that do not pay, embedding
//   Gather, LSTM/GRU/RNN weights. ORT folds the DequantizeLinear at load:
//   the file is small and the math float.
// `weightOnly` forces the second form everywhere.
import { makeNode } from '../onnx/build.js';
import { RuntimeFailure } from '../errors.js';
import { DataType } from '../onnx/dtypes.js';
import type { GraphScope } from '../onnx/graph-walk.js';
import type { Model } from '../onnx/model.js';
import { toLong, type NodeProto, type TensorProto } from '../onnx/proto.js';
import { tensorShape } from '../onnx/tensor-data.js';
import { GraphEditor, attrFloat, attrInt } from './graph-edit.js';
import { prepareModel, type Prepared } from './prepare.js';
import { addToGroup, groupNodes, type QuantizeOutcome } from './report.js';
import { storeUint8WeightLazily, storeWeightForLoadLazily, storeWeightLazily } from './weight-dequantize.js';
import { RECURRENT_OPS } from './rules.js';
import { scaleSensitiveTensors } from './scale-sensitive.js';

export interface NoCalibrationOptions {
  weightOnly?: boolean;
  perTensor?: boolean;
  /** 7-bit weights for the integer kernels (see quantize-static.ts for the measurement). Default true. */
  reduceRange?: boolean;
  exclude?: string[];
  /** K*N/(K+N) of a MatMul weight below which dynamic quantization does not pay (default 16). */
  minIntensity?: number;
  /** Weights of the integer kernels: int8 symmetric (default) or uint8 with zero points (transformers.js's uint8 dtype). */
  weightType?: 'int8' | 'uint8';
}

type Action =
  | { kind: 'dynamic'; weight: string; transpose: boolean; bias?: string; fuseAdd?: NodeProto }
  | { kind: 'weight-only'; inputs: Array<{ index: number; axis: number | null }>; reason: string };

interface Located {
  tensor: TensorProto;
  scope: GraphScope;
}

export async function quantizeWithoutCalibration(model: Model, opts: NoCalibrationOptions): Promise<QuantizeOutcome> {
  const prepared = prepareModel(model, { perTensor: opts.perTensor, dequantizeLinear: false });
  const done = quantizeScopesWithoutCalibration(model, prepared, opts, () => true);
  if (done.origin.size === 0) {
    const reasons = [...done.floatGroups.keys()].slice(0, 4).join('; ');
    throw new RuntimeFailure(`${model.file}: nothing to quantize: no Conv, MatMul, Gemm, Gather or recurrent op with constant weights${reasons ? ` (${reasons})` : ''}`);
  }
  const mode = opts.weightOnly ? 'weight-only' : 'dynamic';
  return {
    proto: prepared.proto,
    origin: done.origin,
    report: {
      mode,
      modeReason: opts.weightOnly ? '--weight-only: int8 weights everywhere, float math' : 'no --calibrate samples: activations are quantized per call (dynamic)',
      samples: 0, opset: prepared.opset, perChannel: prepared.perChannel, quantized: done.quantized,
      weightOnly: groupNodes(done.weightOnlyGroups), float: groupNodes(done.floatGroups), fallbacks: [],
      foldedBatchNorms: prepared.foldedBatchNorms, promotedConstants: prepared.promotedConstants, notes: prepared.notes,
    },
  };
}

export interface ScopesDone {
  origin: Map<string, string[]>;
  quantized: Record<string, number>;
  weightOnlyGroups: Map<string, NodeProto[]>;
  floatGroups: Map<string, NodeProto[]>;
}

/**
 * The dynamic / weight-only rewrite over the graphs `include` accepts (all of
 * them without samples; the subgraphs that static calibration cannot see).
 */
export function quantizeScopesWithoutCalibration(model: Model, prepared: Prepared, opts: NoCalibrationOptions,
  include: (scope: GraphScope) => boolean): ScopesDone {
  const { proto, uniqueName, floatType, index } = prepared;
  const exclude = new Set(opts.exclude ?? []);
  const minIntensity = opts.minIntensity ?? 16;
  const editors = new Map(index.scopes.map((s) => [s, s.depth === 0 ? prepared.editor : new GraphEditor(s.graph)]));
  const origin = new Map<string, string[]>();
  const quantized: Record<string, number> = {};
  const weightOnlyGroups = new Map<string, NodeProto[]>();
  const floatGroups = new Map<string, NodeProto[]>();
  const replacedWeights = new Set<string>();

  /** An initializer visible from `scope`: its own, or an outer graph's. */
  const locate = (scope: GraphScope, name: string): Located | undefined => {
    for (let s: GraphScope | undefined = scope; s; s = s.parent) {
      const t = editors.get(s)!.initializer(name);
      if (t) return { tensor: t, scope: s };
    }
    return undefined;
  };
  const isConst = (scope: GraphScope, name: string): boolean => !!name && !!locate(scope, name);

  const sensitiveIn = new Map<GraphScope, Set<string>>();
  const sensitive = (scope: GraphScope): Set<string> => {
    let set = sensitiveIn.get(scope);
    if (!set) {
      const scalar = (name: string): number | undefined => {
        const t = locate(scope, name)?.tensor;
        if (!t || tensorShape(t).reduce((a, b) => a * b, 1) !== 1) return undefined;
        try {
          return model.float32(t)[0];
        } catch {
          return undefined; // an exponent type float32 cannot hold: treated as unknown
        }
      };
      sensitiveIn.set(scope, (set = scaleSensitiveTensors(scope.graph.node ?? [], (name) => isConst(scope, name), scalar)));
    }
    return set;
  };
  const decide = (node: NodeProto, scope: GraphScope): Action | string => {
    const op = node.opType ?? '';
    const inputs = node.input ?? [];
    const w = inputs[1] ?? '';
    // Weight-only weights are Cast + Mul (folded by ORT at load): any opset, always per channel unless asked.
    const dq = (list: Array<{ index: number; axis: number | null }>, reason: string): Action => ({ kind: 'weight-only', inputs: list, reason });
    const axis = (a: number): number | null => (opts.perTensor ? null : a);
    const rank = (name: string): number => tensorShape(locate(scope, name)!.tensor).length;
    switch (op) {
      case 'MatMul':
      case 'Gemm': {
        if (!isConst(scope, w)) return isConst(scope, inputs[0] ?? '') ? 'its constant is the first input' : 'both inputs are activations';
        if (isConst(scope, inputs[0] ?? '')) return 'its data input is a constant';
        const transB = op === 'Gemm' && attrInt(node, 'transB', 0) === 1;
        const wAxis = op === 'Gemm' ? (transB ? 0 : 1) : rank(w) - 1;
        const weightOnly = (reason: string) => dq([{ index: 1, axis: axis(wAxis) }], reason);
        if (opts.weightOnly) return weightOnly('--weight-only');
        if (floatType !== DataType.FLOAT) return weightOnly('FLOAT16 model: ONNX Runtime\'s dynamic kernels take float32');
        if (rank(w) !== 2) return weightOnly('weight is not 2-D');
        if (sensitive(scope).has(inputs[0] ?? '') || sensitive(scope).has(node.output?.[0] ?? '')) {
          return weightOnly('its data reaches a Log/Sqrt/Pow/Div, where 8-bit steps would zero small values');
        }
        if (op === 'Gemm' && (attrInt(node, 'transA', 0) !== 0 || attrFloat(node, 'alpha', 1) !== 1)) return weightOnly('Gemm with transA or alpha');
        const shape = tensorShape(locate(scope, w)!.tensor);
        const [k, n] = transB ? [shape[1]!, shape[0]!] : [shape[0]!, shape[1]!];
        if ((k * n) / (k + n) < minIntensity) return weightOnly(`under ${minIntensity} multiply-adds per activation element: dynamic quantization would cost more than it saves`);
        let bias: string | undefined;
        let fuseAdd: NodeProto | undefined;
        const c = inputs[2] ?? '';
        if (op === 'Gemm' && c) {
          const ct = locate(scope, c)?.tensor;
          if (!ct || tensorShape(ct).length !== 1 || tensorShape(ct)[0] !== n || attrFloat(node, 'beta', 1) !== 1) return weightOnly('Gemm bias is not a 1-D constant with beta 1');
          bias = c;
        }
        if (op === 'MatMul') {
          // MatMul + Add(bias) as exported from Linear layers: the bias goes into the fused op.
          const y = (node.output ?? [])[0] ?? '';
          const users = index.usesOf(y);
          const add = users.length === 1 ? users[0]!.node : undefined;
          if (add && add.opType === 'Add' && !add.domain && users[0]!.scope === scope && !index.isGraphOutput(y)) {
            const other = (add.input ?? []).find((i) => i !== y) ?? '';
            const bt = locate(scope, other)?.tensor;
            if (bt && tensorShape(bt).length === 1 && tensorShape(bt)[0] === n) {
              bias = other;
              fuseAdd = add;
            }
          }
        }
        return { kind: 'dynamic', weight: w, transpose: transB, bias, fuseAdd };
      }
      case 'Conv':
        if (!isConst(scope, w)) return 'its weight is not a constant';
        return dq([{ index: 1, axis: axis(0) }], opts.weightOnly ? '--weight-only' : 'Conv without calibration: weight-only (ORT has no int8 ConvInteger CPU kernel)');
      case 'ConvTranspose':
        if (!isConst(scope, w)) return 'its weight is not a constant';
        return dq([{ index: 1, axis: attrInt(node, 'group', 1) === 1 ? axis(1) : null }], opts.weightOnly ? '--weight-only' : 'ConvTranspose without calibration: weight-only');
      case 'Gather': {
        const data = inputs[0] ?? '';
        if (!isConst(scope, data) || isConst(scope, inputs[1] ?? '')) return 'not an embedding lookup (constant table, variable indices)';
        if (rank(data) !== 2 || attrInt(node, 'axis', 0) !== 0) return 'embedding table is not 2-D along axis 0';
        // One scale per row: each looked-up vector keeps its own range.
        return dq([{ index: 0, axis: axis(0) }], 'embedding table: int8 rows');
      }
      default:
        if (RECURRENT_OPS.has(op)) {
          // W [dirs, gates*hidden, in] and R [dirs, gates*hidden, hidden]: one scale per gate row.
          const list = [1, 2].filter((i) => isConst(scope, inputs[i] ?? '')).map((i) => ({ index: i, axis: axis(1) }));
          if (list.length === 0) return 'its weights are not constants';
          return dq(list, `${op} weights: weight-only (the recurrent math stays float)`);
        }
        return '';
    }
  };

  const stored = new Map<string, { output: string; nodes: NodeProto[]; serves: string[] }>();
  // Weights are read and quantized when the model is saved, one at a time (weight-dequantize.ts, *Lazily).
  const weightValues = (t: TensorProto): Float32Array => model.float32(t);
  for (const scope of index.scopes) {
    if (!include(scope)) continue;
    const head: NodeProto[] = [];
    const removed = new Set<NodeProto>();
    for (const node of [...(scope.graph.node ?? [])]) {
      if (removed.has(node)) continue;
      const op = node.opType ?? '';
      if (node.domain && node.domain !== 'ai.onnx') continue;
      if (exclude.has(node.name ?? '') || exclude.has(op)) {
        addToGroup(floatGroups, 'excluded by --exclude', node);
        continue;
      }
      const action = decide(node, scope);
      if (typeof action === 'string') {
        if (action) addToGroup(floatGroups, `${op}: ${action}`, node);
        continue;
      }
      if (action.kind === 'weight-only') {
        for (const { index: i, axis } of action.inputs) {
          const name = node.input![i]!;
          const key = `${name}|${axis}`;
          let s = stored.get(key);
          const located = locate(scope, name)!;
          if (!s) {
            const shape = tensorShape(located.tensor);
            const w = storeWeightForLoadLazily(editors.get(located.scope)!, name, () => weightValues(located.tensor), shape, axis, floatType, uniqueName);
            s = { output: w.output, nodes: w.nodes, serves: [] };
            stored.set(key, s);
            // The dequantizing nodes sit in the graph that owns the weight; nested graphs read the result from there.
            if (located.scope === scope) head.push(...w.nodes);
            else (located.scope.graph.node ??= []).unshift(...w.nodes);
            for (const n of w.nodes) origin.set(n.name ?? '', s.serves);
          }
          s.serves.push(node.name ?? '');
          GraphEditor.replaceInput(node, name, s.output);
          replacedWeights.add(name);
        }
        origin.set(node.name ?? '', [node.name ?? '']);
        addToGroup(weightOnlyGroups, `${op}: ${action.reason}`, node);
        continue;
      }
      // Dynamic: int8 [K, N] weight, one scale per column (output feature).
      const located = locate(scope, action.weight)!;
      const shape = tensorShape(located.tensor);
      // The [K, N] values: Gemm's transB weight [N, K] is transposed when read.
      const read = (): Float32Array => {
        const data = weightValues(located.tensor);
        if (!action.transpose) return data;
        const [n, k] = shape as [number, number];
        const t = new Float32Array(data.length);
        for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) t[c * n + r] = data[r * k + c]!;
        return t;
      };
      const kn = action.transpose ? [shape[1]!, shape[0]!] : shape;
      // DynamicQuantizeMatMul takes per-column scales at any opset (a contrib op, not DequantizeLinear).
      const base = `${action.weight}${action.transpose ? '_T' : ''}`;
      const w = opts.weightType === 'uint8'
        ? storeUint8WeightLazily(editors.get(located.scope)!, base, read, kn, 1, opts.reduceRange ?? true, uniqueName)
        : storeWeightLazily(editors.get(located.scope)!, base, read, kn, 1, opts.reduceRange ?? true, DataType.FLOAT, uniqueName);
      // The fused op reads the int8 weight, scale and zero point directly: w.node is not placed.
      const output = action.fuseAdd ? action.fuseAdd.output![0]! : node.output![0]!;
      const fused = makeNode('DynamicQuantizeMatMul', [node.input![0]!, w.quantized, w.scale, w.zeroPoint, ...(action.bias ? [action.bias] : [])],
        [output], node.name ?? uniqueName('DynamicQuantizeMatMul'), {}, 'com.microsoft');
      const nodes = scope.graph.node!;
      nodes[nodes.indexOf(node)] = fused;
      if (action.fuseAdd) {
        removed.add(action.fuseAdd);
        scope.graph.node = nodes.filter((n) => n !== action.fuseAdd);
      }
      origin.set(fused.name ?? '', [node.name ?? '', ...(action.fuseAdd ? [action.fuseAdd.name ?? ''] : [])]);
      quantized[op] = (quantized[op] ?? 0) + 1;
      replacedWeights.add(action.weight);
    }
    scope.graph.node = [...head, ...(scope.graph.node ?? [])];
  }

  if (Object.keys(quantized).length && !(proto.opsetImport ?? []).some((o) => o.domain === 'com.microsoft')) {
    (proto.opsetImport ??= []).push({ domain: 'com.microsoft', version: toLong(1) });
  }
  // Float weights nothing reads any more are dropped, in every graph.
  const used = new Set(index.scopes.flatMap((s) => [...(s.graph.node ?? []).flatMap((n) => n.input ?? []), ...(s.graph.output ?? []).map((v) => v.name ?? '')]));
  for (const editor of editors.values()) {
    for (const name of replacedWeights) if (editor.initializers.has(name) && !used.has(name)) editor.removeInitializer(name);
  }

  return { origin, quantized, weightOnlyGroups, floatGroups };
}
