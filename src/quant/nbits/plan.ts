// Which nodes take low-bit weights: a MatMul whose second input is a
// constant 2-D float matrix (an initializer, or a constant one transposed by
// a Transpose node, the form tied language-model heads take), a Gemm that is
// such a MatMul plus a bias vector (transB either way), and on
// request an embedding lookup (Gather along axis 0 of a constant 2-D table
// by computed indices). Everything else is listed with the reason it stays
// as it is, so "nothing to quantize" can say what the model holds.
import { DataType } from '../../onnx/dtypes.js';
import type { GraphIndex } from '../../onnx/graph-index.js';
import type { GraphScope } from '../../onnx/graph-walk.js';
import type { NodeProto, TensorProto } from '../../onnx/proto.js';
import { tensorShape } from '../../onnx/tensor-data.js';
import { attrFloat, attrInt, attrInts } from '../graph-edit.js';
import type { ResolvedNBitsOptions } from './options.js';

export interface WeightRef {
  /** The initializer holding the values. */
  tensor: TensorProto;
  /** The graph that owns it. */
  scope: GraphScope;
  /** The values are the transpose of the initializer ([N, K] stored, [K, N] meant). */
  transposed: boolean;
  /** The Transpose node read through, if any. */
  via?: NodeProto;
}

export type Candidate =
  | { kind: 'matmul'; node: NodeProto; scope: GraphScope; weight: WeightRef; k: number; n: number; floatType: number; bias?: string }
  | { kind: 'gather'; node: NodeProto; scope: GraphScope; table: WeightRef; rows: number; width: number; floatType: number };

export interface Plan {
  candidates: Candidate[];
  /** Nodes of the kinds considered that stay as they are, by reason. */
  skipped: Map<string, NodeProto[]>;
  /** Op types of the whole model, for the message when nothing applies. */
  opCounts: Map<string, number>;
}

const FLOATS = new Set<number>([DataType.FLOAT, DataType.FLOAT16]);

export function planNBits(index: GraphIndex, opts: ResolvedNBitsOptions): Plan {
  const candidates: Candidate[] = [];
  const skipped = new Map<string, NodeProto[]>();
  const opCounts = new Map<string, number>();
  const skip = (reason: string, node: NodeProto): void => {
    const list = skipped.get(reason) ?? [];
    list.push(node);
    skipped.set(reason, list);
  };
  const exclude = new Set(opts.exclude);

  /** An initializer visible from `scope` (its own, or an outer graph's). */
  const constant = (scope: GraphScope, name: string): { tensor: TensorProto; scope: GraphScope } | undefined => {
    const found = index.initializer.get(name);
    if (!found) return undefined;
    for (let s: GraphScope | undefined = scope; s; s = s.parent) if (s === found.scope) return found;
    return undefined;
  };
  /** The constant 2-D matrix a value is, directly or through Transpose(perm [1, 0]). */
  const matrix = (scope: GraphScope, name: string): WeightRef | undefined => {
    const direct = constant(scope, name);
    if (direct) return { ...direct, transposed: false };
    const p = index.producer.get(name);
    if (!p || p.node.opType !== 'Transpose' || (p.node.domain && p.node.domain !== 'ai.onnx')) return undefined;
    const perm = attrInts(p.node, 'perm');
    if (perm && !(perm.length === 2 && perm[0] === 1 && perm[1] === 0)) return undefined;
    const src = constant(p.scope, p.node.input?.[0] ?? '');
    if (!src || tensorShape(src.tensor).length !== 2) return undefined;
    return { ...src, transposed: true, via: p.node };
  };

  /** A Gemm that is a MatMul with a constant weight and, maybe, a bias: Y = A · B(ᵀ) + C. */
  const gemmCandidate = (node: NodeProto, scope: GraphScope): Candidate | string => {
    const [a, b, c] = node.input ?? [];
    const w = constant(scope, b ?? '');
    if (!w) return 'no constant weight';
    if (constant(scope, a ?? '')) return 'both inputs are constants';
    if (attrInt(node, 'transA', 0) !== 0 || attrFloat(node, 'alpha', 1) !== 1) return 'transA or alpha';
    const shape = tensorShape(w.tensor);
    if (shape.length !== 2 || !FLOATS.has(w.tensor.dataType ?? 0)) return 'weight is not a 2-D float32/float16 matrix';
    const transposed = attrInt(node, 'transB', 0) === 1;
    const [k, n] = transposed ? [shape[1]!, shape[0]!] : [shape[0]!, shape[1]!];
    let bias: string | undefined;
    if (c) {
      const ct = constant(scope, c);
      if (!ct || attrFloat(node, 'beta', 1) !== 1 || tensorShape(ct.tensor).join() !== String(n) || ct.tensor.dataType !== w.tensor.dataType) {
        return 'its bias is not a constant vector of N values with beta 1';
      }
      bias = c;
    }
    return { kind: 'matmul', node, scope, weight: { ...w, transposed }, k, n, floatType: w.tensor.dataType!, ...(bias ? { bias } : {}) };
  };

  for (const scope of index.scopes) {
    for (const node of scope.graph.node ?? []) {
      const op = node.opType ?? '';
      const key = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}.${op}` : op;
      opCounts.set(key, (opCounts.get(key) ?? 0) + 1);
      if (node.domain && node.domain !== 'ai.onnx') continue;
      if (op !== 'MatMul' && op !== 'Gemm' && op !== 'Gather') continue;
      if (exclude.has(node.name ?? '') || exclude.has(op)) {
        skip('excluded by --exclude', node);
        continue;
      }
      const inputs = node.input ?? [];
      if (op === 'Gemm') {
        const gemm = gemmCandidate(node, scope);
        if (typeof gemm === 'string') skip(`Gemm: ${gemm}`, node);
        else candidates.push(gemm);
        continue;
      }
      if (op === 'MatMul') {
        const w = matrix(scope, inputs[1] ?? '');
        if (!w) {
          skip(constant(scope, inputs[0] ?? '') ? 'MatMul: its constant is the first input' : 'MatMul: both inputs are computed (no constant weight)', node);
          continue;
        }
        const shape = tensorShape(w.tensor);
        if (shape.length !== 2) {
          skip(`MatMul: weight of rank ${shape.length}, not a 2-D matrix`, node);
          continue;
        }
        if (!FLOATS.has(w.tensor.dataType ?? 0)) {
          skip('MatMul: weight is not float32 or float16', node);
          continue;
        }
        if (constant(scope, inputs[0] ?? '')) {
          skip('MatMul: both inputs are constants', node);
          continue;
        }
        const [k, n] = w.transposed ? [shape[1]!, shape[0]!] : [shape[0]!, shape[1]!];
        candidates.push({ kind: 'matmul', node, scope, weight: w, k, n, floatType: w.tensor.dataType! });
        continue;
      }
      // Gather
      const table = constant(scope, inputs[0] ?? '');
      if (!table || constant(scope, inputs[1] ?? '')) continue; // not a lookup of computed indices: not an embedding
      if (!opts.embeddings) {
        skip('Gather: embedding tables stay as they are unless asked (--embeddings)', node);
        continue;
      }
      const shape = tensorShape(table.tensor);
      if (shape.length !== 2 || attrInt(node, 'axis', 0) !== 0) {
        skip('Gather: not a lookup of rows of a 2-D table', node);
        continue;
      }
      if (!FLOATS.has(table.tensor.dataType ?? 0)) {
        skip('Gather: table is not float32 or float16', node);
        continue;
      }
      if ((shape[1]! * opts.bits) % 8 !== 0) {
        skip(`Gather: row width ${shape[1]} does not pack into whole bytes at ${opts.bits} bits`, node);
        continue;
      }
      candidates.push({ kind: 'gather', node, scope, table: { ...table, transposed: false }, rows: shape[0]!, width: shape[1]!, floatType: table.tensor.dataType! });
    }
  }
  return { candidates, skipped, opCounts };
}

/** "MatMul ×3 (no constant weight), Conv ×12, Relu ×12": what a model holds, for the nothing-to-do message. */
export function describeOps(plan: Plan): string {
  const counts = [...plan.opCounts].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ×${n}`);
  return counts.length ? counts.slice(0, 12).join(', ') + (counts.length > 12 ? ', …' : '') : 'no nodes';
}
