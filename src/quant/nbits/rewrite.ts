// The graph rewrite of low-bit weights: each planned node is replaced by the
// operator of the chosen format, reading new initializers that are computed
// when the model is saved (onnx/computed-tensor.ts), one weight at a time:
// a multi-GB model is never held quantized in memory, and each float weight
// is read from its file only when its low-bit form is written.
//
//   MatMul(A, W[K,N])  → MatMulNBits(A, B[N,kb,blob] u8, scales[N,kb], zero_points?)   (com.microsoft)
//                      → DequantizeLinear(Q[K,N] int4|uint4, scales[kb,N], zp?; axis 0, block_size) → MatMul   (qdq, opset 21)
//                      → MatMulBnb4(A, B[ceil(NK/2)] u8, absmax[ceil(NK/bs)])                      (com.microsoft)
//   Gather(T[V,H], ids) → GatherBlockQuantized(T' [V, H*bits/8] u8, ids, scales[V,kb], zero_points?)   (com.microsoft)
//
// Scales have the weight's float type; zero points are packed integers.
// The replaced node keeps its name, so --exclude and the runtime check's
// fallbacks name the same node before and after.
import { makeNode } from '../../onnx/build.js';
import { computedGroup, type GroupMember } from '../../onnx/computed-tensor.js';
import { DataType } from '../../onnx/dtypes.js';
import { float32ArrayToHalf } from '../../onnx/float16.js';
import type { GraphIndex } from '../../onnx/graph-index.js';
import type { Model } from '../../onnx/model.js';
import type { NodeProto, TensorProto } from '../../onnx/proto.js';
import type { SecondMoments } from '../../calib/second-moments.js';
import { quantizeKMajor, quantizeNMajor, type BlockQuantized, type BlockSpec } from './blocks.js';
import { BNB4_QUANT_TYPE, quantizeBnb4NMajor } from './bnb4.js';
import { inverseHessianFactor, quantizeGptqKMajor } from './gptq.js';
import { quantizeHqqNMajor, transposeKN } from './hqq.js';
import type { ResolvedNBitsOptions } from './options.js';
import { packGatherData, packMatMulNBitsWeight, packQdqInt4, packZeroPoints } from './pack.js';
import type { Candidate, WeightRef } from './plan.js';

export const MS_DOMAIN = 'com.microsoft';

export interface RewriteContext {
  model: Model;
  index: GraphIndex;
  uniqueName: (base: string) => string;
  opts: ResolvedNBitsOptions;
  /** X^T X of MatMul inputs, by input name (GPTQ). */
  moments?: Map<string, SecondMoments>;
  /** Called as each weight is computed (at save time). */
  onWeight?: () => void;
}

export interface Rewritten {
  /** New node name → the original node names it stands for. */
  origin: Map<string, string[]>;
  /** Op type written → count. */
  written: Record<string, number>;
  notes: string[];
  /** Weights replaced (the float initializers may now be unused). */
  replaced: Set<string>;
  /** MatMuls quantized with round to nearest because GPTQ had no statistics for them. */
  rtnFallbacks: string[];
}

/** A weight's values as [K, N] (`kMajor`) or [N, K], as stored. */
function readMatrix(model: Model, ref: WeightRef): { data: Float32Array; kMajor: boolean } {
  return { data: model.float32(ref.tensor), kMajor: !ref.transposed };
}

function scaleBytes(values: Float32Array, floatType: number): Uint8Array {
  const typed = floatType === DataType.FLOAT16 ? float32ArrayToHalf(values) : values;
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

const asBytes = (a: Uint8Array | Float32Array): Uint8Array => (a instanceof Uint8Array ? a : new Uint8Array(a.buffer, a.byteOffset, a.byteLength));

export function rewriteNBits(ctx: RewriteContext, candidates: Candidate[]): Rewritten {
  const { opts, index, uniqueName } = ctx;
  const out: Rewritten = { origin: new Map(), written: {}, notes: [], replaced: new Set(), rtnFallbacks: [] };
  const groups = new Map<string, TensorProto[]>();
  const padded: string[] = [];
  const count = (op: string): void => {
    out.written[op] = (out.written[op] ?? 0) + 1;
  };
  const spec = (floatType: number): BlockSpec => ({ bits: opts.bits, blockSize: opts.blockSize, symmetric: opts.symmetric, scaleType: floatType });

  /** Block quantization of a [K, N] weight by the chosen algorithm. */
  const blockQuantize = (c: Extract<Candidate, { kind: 'matmul' }>): BlockQuantized => {
    const { data, kMajor } = readMatrix(ctx.model, c.weight);
    const s = spec(c.floatType);
    const h = opts.algorithm === 'gptq' ? ctx.moments?.get(c.node.input![0]!) : undefined;
    if (h) {
      // MatMuls reading the same input (Q, K, V projections) share the inverse Hessian's factor:
      // computed once, it replaces the Hessian (the same size), which is not needed after.
      h.factor ??= inverseHessianFactor(h.h, h.k, opts.dampPercent);
      h.h = new Float64Array(0);
      return quantizeGptqKMajor(kMajor ? data : transposeKN(data, c.n, c.k), c.k, c.n, h.factor, { ...s, dampPercent: opts.dampPercent });
    }
    if (opts.algorithm === 'hqq') {
      return quantizeHqqNMajor(kMajor ? transposeKN(data, c.k, c.n) : data, c.n, c.k, { bits: opts.bits, blockSize: opts.blockSize, scaleType: c.floatType });
    }
    return kMajor ? quantizeKMajor(data, c.k, c.n, s) : quantizeNMajor(data, c.n, c.k, s);
  };

  for (const c of candidates) {
    const node = c.node;
    const name = node.name ?? uniqueName(node.opType ?? 'node');
    const base = (c.kind === 'matmul' ? c.weight : c.table).tensor.name ?? name;
    const floatType = c.floatType;
    const kBlocks = Math.ceil((c.kind === 'matmul' ? c.k : c.width) / opts.blockSize);
    const place = (c.kind === 'matmul' ? c.weight : c.table).scope.graph;
    const key = `${c.kind}|${base}|${c.kind === 'matmul' && c.weight.transposed}|${opts.algorithm === 'gptq' ? node.input![0] : ''}`;
    const make = (members: GroupMember[], compute: () => Uint8Array[]): TensorProto[] => {
      let tensors = groups.get(key);
      if (!tensors) {
        tensors = computedGroup(members, () => {
          const bytes = compute();
          ctx.onWeight?.();
          return bytes;
        });
        groups.set(key, tensors);
        (place.initializer ??= []).push(...tensors);
      }
      return tensors;
    };

    if (c.kind === 'gather') {
      const asym = !opts.symmetric;
      const members: GroupMember[] = [
        { name: uniqueName(`${base}_q${opts.bits}`), dims: [c.rows, (c.width * opts.bits) / 8], dataType: DataType.UINT8 },
        { name: uniqueName(`${base}_scales`), dims: [c.rows, kBlocks], dataType: floatType },
        ...(asym ? [{ name: uniqueName(`${base}_zero_points`), dims: [c.rows, Math.ceil((kBlocks * opts.bits) / 8)], dataType: DataType.UINT8 }] : []),
      ];
      const [data, scales, zp] = make(members, () => {
        const table = ctx.model.float32(c.table.tensor);
        // GPTQ has no statistics for a lookup: its tables are rounded to nearest.
        const q = opts.algorithm === 'hqq'
          ? quantizeHqqNMajor(table, c.rows, c.width, { bits: opts.bits, blockSize: opts.blockSize, scaleType: floatType })
          : quantizeNMajor(table, c.rows, c.width, spec(floatType));
        return [packGatherData(q), scaleBytes(q.scales, floatType), ...(asym ? [packZeroPoints(q)] : [])];
      });
      const gbq = makeNode('GatherBlockQuantized', [data!.name!, node.input![1]!, scales!.name!, ...(zp ? [zp.name!] : [])], [...node.output!], name,
        { bits: opts.bits, block_size: opts.blockSize, gather_axis: 0, quantize_axis: 1 }, MS_DOMAIN);
      replaceNode(c.scope.graph.node!, node, [gbq]);
      out.origin.set(name, [name]);
      out.replaced.add(c.table.tensor.name ?? '');
      count('GatherBlockQuantized');
      continue;
    }

    if (c.k % opts.blockSize !== 0) padded.push(`${name} (K ${c.k})`);
    if (opts.algorithm === 'gptq' && !ctx.moments?.has(node.input![0]!)) out.rtnFallbacks.push(name);
    const a = node.input![0]!;
    // A Gemm's bias: an input of MatMulNBits, an Add after the other formats' MatMul.
    const bias = c.bias;
    const y = bias && opts.format !== 'matmulnbits' ? uniqueName(`${name}_product`) : node.output![0]!;
    const biasAdd = (): NodeProto[] => (bias && opts.format !== 'matmulnbits' ? [makeNode('Add', [y, bias], [node.output![0]!], uniqueName(`${name}_bias`))] : []);
    let replacement: NodeProto[];
    if (opts.format === 'bnb4') {
      const numel = c.k * c.n;
      const [b, absmax] = make([
        { name: uniqueName(`${base}_bnb4`), dims: [Math.ceil(numel / 2)], dataType: DataType.UINT8 },
        { name: uniqueName(`${base}_absmax`), dims: [Math.ceil(numel / opts.blockSize)], dataType: floatType },
      ], () => {
        const { data, kMajor } = readMatrix(ctx.model, c.weight);
        const q = quantizeBnb4NMajor(kMajor ? transposeKN(data, c.k, c.n) : data, c.n, c.k, opts.blockSize, opts.bnb4Type, floatType);
        return [q.packed, scaleBytes(q.absmax, floatType)];
      });
      replacement = [makeNode('MatMulBnb4', [a, b!.name!, absmax!.name!], [y], name,
        { K: c.k, N: c.n, block_size: opts.blockSize, quant_type: BNB4_QUANT_TYPE[opts.bnb4Type] }, MS_DOMAIN), ...biasAdd()];
      count('MatMulBnb4');
    } else if (opts.format === 'qdq') {
      const signed = opts.symmetric;
      const [q, scales, zp] = make([
        { name: uniqueName(`${base}_int4`), dims: [c.k, c.n], dataType: signed ? DataType.INT4 : DataType.UINT4 },
        { name: uniqueName(`${base}_scales`), dims: [kBlocks, c.n], dataType: floatType },
        ...(signed ? [] : [{ name: uniqueName(`${base}_zero_points`), dims: [kBlocks, c.n], dataType: DataType.UINT4 }]),
      ], () => {
        const packed = packQdqInt4(blockQuantize(c), signed);
        return [packed.data, scaleBytes(packed.scales, floatType), ...(packed.zeroPoints ? [packed.zeroPoints] : [])];
      });
      const dqOut = uniqueName(`${base}_dequantized`);
      const dqName = uniqueName(`${name}_DequantizeLinear`);
      replacement = [
        makeNode('DequantizeLinear', [q!.name!, scales!.name!, ...(zp ? [zp.name!] : [])], [dqOut], dqName, { axis: 0, block_size: opts.blockSize }),
        makeNode('MatMul', [a, dqOut], [y], name),
        ...biasAdd(),
      ];
      out.origin.set(dqName, [name]);
      count('MatMul (INT4 DequantizeLinear)');
    } else {
      const blob = (opts.blockSize * opts.bits) / 8;
      const [b, scales, zp] = make([
        { name: uniqueName(`${base}_q${opts.bits}`), dims: [c.n, kBlocks, blob], dataType: DataType.UINT8 },
        { name: uniqueName(`${base}_scales`), dims: [c.n, kBlocks], dataType: floatType },
        ...(opts.symmetric ? [] : [{ name: uniqueName(`${base}_zero_points`), dims: [c.n, Math.ceil((kBlocks * opts.bits) / 8)], dataType: DataType.UINT8 }]),
      ], () => {
        const q = blockQuantize(c);
        return [packMatMulNBitsWeight(q), scaleBytes(q.scales, floatType), ...(q.zeroPoints ? [packZeroPoints(q)] : [])];
      });
      const attrs: Record<string, number> = { K: c.k, N: c.n, bits: opts.bits, block_size: opts.blockSize };
      if (opts.accuracyLevel) attrs.accuracy_level = opts.accuracyLevel;
      // Inputs: A, B, scales, zero_points, g_idx (unused), bias.
      const inputs = [a, b!.name!, scales!.name!, zp?.name ?? '', ...(bias ? ['', bias] : [])];
      while (inputs[inputs.length - 1] === '') inputs.pop();
      replacement = [makeNode('MatMulNBits', inputs, [y], name, attrs, MS_DOMAIN)];
      count('MatMulNBits');
    }
    replaceNode(c.scope.graph.node!, node, replacement);
    out.origin.set(name, [name]);
    out.replaced.add(c.weight.tensor.name ?? '');
    if (c.weight.via) out.replaced.add(c.weight.via.output![0]!);
  }
  if (padded.length) {
    out.notes.push(`K is not a multiple of the block size ${opts.blockSize} for ${padded.length} MatMul${padded.length > 1 ? 's' : ''} `
      + `(${padded.slice(0, 4).join(', ')}${padded.length > 4 ? ', …' : ''}): the last block is padded with zeros, as ONNX Runtime's quantizer does`);
  }
  removeUnused(index, out.replaced);
  return out;
}

function replaceNode(nodes: NodeProto[], node: NodeProto, replacement: NodeProto[]): void {
  const at = nodes.indexOf(node);
  nodes.splice(at, 1, ...replacement);
}

/**
 * Drops the float weights (and Transpose nodes read through) nothing reads
 * any more, in every graph; a weight that is also a graph output, or still
 * read by another node, stays.
 */
function removeUnused(index: GraphIndex, replaced: Set<string>): void {
  for (let changed = true; changed;) {
    changed = false;
    const used = new Set<string>();
    for (const scope of index.scopes) {
      for (const n of scope.graph.node ?? []) for (const i of n.input ?? []) used.add(i);
      for (const v of scope.graph.output ?? []) used.add(v.name ?? '');
    }
    for (const scope of index.scopes) {
      const g = scope.graph;
      const nodes = g.node ?? [];
      const kept = nodes.filter((n) => !(n.opType === 'Transpose' && replaced.has(n.output?.[0] ?? '') && !used.has(n.output![0]!)));
      if (kept.length !== nodes.length) {
        for (const n of nodes) if (!kept.includes(n)) replaced.add(n.input?.[0] ?? '');
        g.node = kept;
        changed = true;
      }
      const inits = g.initializer ?? [];
      const keptInits = inits.filter((t) => !(replaced.has(t.name ?? '') && !used.has(t.name ?? '')));
      if (keptInits.length !== inits.length) {
        const gone = new Set(inits.filter((t) => !keptInits.includes(t)).map((t) => t.name));
        g.initializer = keptInits;
        // Old exporters list initializers as graph inputs too.
        g.input = (g.input ?? []).filter((v) => !gone.has(v.name));
        changed = true;
      }
    }
  }
}
