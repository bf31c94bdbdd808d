// The per-op rule table. A rule only *marks* what to quantize on one node
// (this input as an activation, that one as a per-channel weight, this bias
// from that input and weight, this output sharing its input's parameters);
// one pass (qdq-rewrite.ts) creates every Q/DQ node afterwards.
import type { NodeProto } from '../onnx/proto.js';
import { attrFloat, attrInt } from './graph-edit.js';

export interface RuleContext {
  isConstant(name: string): boolean;
  rankOf(name: string): number | undefined;
  /** Whether `name` is already marked as a quantized activation (earlier nodes, graph order). */
  isQuantized(name: string): boolean;
  /** The op type of the node producing `name`, when that node is quantized. */
  quantizedProducerOp(name: string): string | undefined;
  consumerCount(name: string): number;
}

export interface Marks {
  /** Inputs quantized as uint8 activations with their own calibrated range. */
  activations: string[];
  /** Outputs that must be quantized for ORT to fuse this node (Conv → QLinearConv). */
  outputs: string[];
  weight?: { name: string; axis: number };
  bias?: { name: string; input: string; weight: string };
  /** Output → input whose scale and zero point it reuses (pass-through ops). */
  shares?: { output: string; input: string };
  /** Input that takes this node's output range (Relu/Clip after a quantized op, as ORT does). */
  rangeFromOutput?: { input: string; output: string };
}

export type Rule = (node: NodeProto, ctx: RuleContext) => Marks | string;

const input = (node: NodeProto, i: number): string => (node.input ?? [])[i] ?? '';
const output = (node: NodeProto, i: number): string => (node.output ?? [])[i] ?? '';

function weightOp(axisOf: (node: NodeProto, rank: number) => number, quantizeOutput: boolean): Rule {
  return (node, ctx) => {
    const x = input(node, 0);
    const w = input(node, 1);
    if (!w || !ctx.isConstant(w)) return 'its weight is not a constant';
    if (ctx.isConstant(x)) return 'its data input is a constant';
    const rank = ctx.rankOf(w) ?? 2;
    const marks: Marks = { activations: [x], outputs: quantizeOutput ? [output(node, 0)] : [], weight: { name: w, axis: axisOf(node, rank) } };
    const b = input(node, 2);
    if (b && ctx.isConstant(b) && (ctx.rankOf(b) ?? 1) === 1) marks.bias = { name: b, input: x, weight: w };
    return marks;
  };
}

const conv = weightOp(() => 0, true);
const convTranspose: Rule = (node, ctx) => (attrInt(node, 'group', 1) !== 1 ? 'grouped ConvTranspose stays float' : weightOp(() => 1, true)(node, ctx));

const gemm: Rule = (node, ctx) => {
  if (attrInt(node, 'transA', 0) !== 0) return 'transA=1 is not quantized';
  const marks = weightOp((n) => (attrInt(n, 'transB', 0) === 1 ? 0 : 1), false)(node, ctx);
  if (typeof marks !== 'string' && marks.bias && (attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1)) delete marks.bias;
  return marks;
};

const matMul: Rule = (node, ctx) => {
  const a = input(node, 0);
  const b = input(node, 1);
  if (!ctx.isConstant(b)) return ctx.isConstant(a) ? 'its constant is the first input' : 'both inputs are activations';
  // The output-feature axis of the [..., K, N] weight.
  return weightOp((_n, rank) => rank - 1, false)(node, ctx);
};

/** Ops ORT runs on integers by dropping the Q/DQ around them when both sides share one scale. */
const sharesInputParams: Rule = (node, ctx) => {
  const x = input(node, 0);
  if (!ctx.isQuantized(x)) return 'its input is not quantized';
  return { activations: [x], outputs: [], shares: { output: output(node, 0), input: x } };
};

/** Relu/Clip after a quantized op: the op's output takes the activation's range and ORT drops the activation. */
const removableActivation: Rule = (node, ctx) => {
  const x = input(node, 0);
  const producer = ctx.quantizedProducerOp(x);
  if (!producer || !WEIGHT_OPS.has(producer)) return 'it does not follow a quantized op';
  if (ctx.consumerCount(x) !== 1) return 'its input has other consumers';
  return { activations: [output(node, 0)], outputs: [], rangeFromOutput: { input: x, output: output(node, 0) } };
};

/** Add/Mul of two activations (residual connections): ORT has QLinearAdd/QLinearMul. */
const binaryActivations: Rule = (node, ctx) => {
  const [a, b] = [input(node, 0), input(node, 1)];
  if (ctx.isConstant(a) || ctx.isConstant(b)) return 'one input is a constant';
  if (!ctx.isQuantized(a) || !ctx.isQuantized(b)) return 'its inputs are not quantized';
  return { activations: [a, b], outputs: [output(node, 0)] };
};

export const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export const RULES: Record<string, Rule> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  Gemm: gemm,
  MatMul: matMul,
  Relu: removableActivation,
  Clip: removableActivation,
  MaxPool: sharesInputParams,
  Reshape: sharesInputParams,
  Flatten: sharesInputParams,
  Transpose: sharesInputParams,
  Squeeze: sharesInputParams,
  Unsqueeze: sharesInputParams,
  Add: binaryActivations,
  Mul: binaryActivations,
};
