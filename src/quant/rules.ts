// The per-op rule table. A rule only *marks* what to quantize on one node
// (this input as an activation, that one as a per-channel weight, this bias
// from that input and weight, this output sharing its input's parameters);
// one pass (qdq-rewrite.ts) creates every Q/DQ node afterwards.
import type { NodeProto } from '../onnx/proto.js';
import { attrFloat, attrInt } from './graph-edit.js';

export interface RuleContext {
  isConstant(name: string): boolean;
  rankOf(name: string): number | undefined;
  /** Elements of a tensor on the first calibration sample, when known. */
  elementCount(name: string): number | undefined;
  /** Elements of a constant (weight) tensor. */
  constantSize(name: string): number;
  /** Size of a constant's dimension `axis`. */
  constantDim(name: string, axis: number): number | undefined;
  /** Whether `name` is already marked as a quantized activation (earlier nodes, graph order). */
  isQuantized(name: string): boolean;
  /** Whether `name` feeds or leaves a recurrent op (LSTM/GRU/RNN): such tensors stay float. */
  isRecurrent(name: string): boolean;
  /** The op type of the node producing `name`, when that node is quantized (integer kernels). */
  quantizedProducerOp(name: string): string | undefined;
  consumerCount(name: string): number;
  /** Multiply-adds per activation element below which Q/DQ costs more than integer math saves. */
  minIntensity: number;
  /** The value of a one-element constant, when it is one. */
  scalarValue(name: string): number | undefined;
  /** Quantize MatMuls of two activations (attention's QK^T and AV) too: QLinearMatMul. */
  activationMatMuls?: boolean;
}

export interface Marks {
  /** Inputs quantized as uint8 activations with their own calibrated range. */
  activations: string[];
  /** Outputs quantized with their own range (Conv → QLinearConv needs it; Concat, pooling...). */
  outputs: string[];
  weight?: { name: string; axis: number };
  bias?: { name: string; input: string; weight: string };
  /** Output → input whose scale and zero point it reuses (pass-through ops). */
  shares?: { output: string; input: string };
  /** Input that takes this node's output range (Relu/Clip after a quantized op, as ORT does). */
  rangeFromOutput?: { input: string; output: string };
  /** Outputs with a range known without calibration (Softmax: [0, 1]). */
  fixedOutput?: { name: string; min: number; max: number };
  /** Only the weight is stored as int8 (DequantizeLinear ahead of a float op); activations stay float. */
  weightOnly?: string;
}

export type Rule = (node: NodeProto, ctx: RuleContext) => Marks | string;

const input = (node: NodeProto, i: number): string => (node.input ?? [])[i] ?? '';
const output = (node: NodeProto, i: number): string => (node.output ?? [])[i] ?? '';

/**
 * Weight ops. Multiply-adds per activation element touched decides whether
 * Q/DQ pays: a 3x3 Conv on one input channel does 9, and its Q/DQ pairs cost
 * more than the integer kernel saves (the 40-50% slow-down seen on small
 * classifiers). Those keep int8 weights only: ORT folds the DequantizeLinear
 * of a constant at load, so the file is small and the run is float.
 */
function weightOp(axisOf: (node: NodeProto, rank: number) => number, quantizeOutput: boolean, macsPerOutput: (node: NodeProto, ctx: RuleContext, w: string, axis: number) => number): Rule {
  return (node, ctx) => {
    const x = input(node, 0);
    const w = input(node, 1);
    const y = output(node, 0);
    if (!w || !ctx.isConstant(w)) return 'its weight is not a constant';
    if (ctx.isConstant(x)) return 'its data input is a constant';
    const rank = ctx.rankOf(w) ?? 2;
    const axis = axisOf(node, rank);
    const weight = { name: w, axis };
    const weightOnly = (reason: string): Marks => ({ activations: [], outputs: [], weight, weightOnly: reason });
    if (ctx.isRecurrent(x) || ctx.isRecurrent(y)) return weightOnly('on a recurrent (LSTM/GRU/RNN) path');
    const inElems = ctx.elementCount(x);
    const outElems = ctx.elementCount(y);
    if (inElems !== undefined && outElems !== undefined && inElems + outElems > 0) {
      const intensity = (outElems * macsPerOutput(node, ctx, w, axis)) / (inElems + outElems);
      if (intensity < ctx.minIntensity) {
        return weightOnly(`under ${ctx.minIntensity} multiply-adds per activation element: Q/DQ would cost more than integer math saves`);
      }
    }
    const marks: Marks = { activations: [x], outputs: quantizeOutput ? [y] : [], weight };
    const b = input(node, 2);
    if (b && ctx.isConstant(b) && (ctx.rankOf(b) ?? 1) === 1) marks.bias = { name: b, input: x, weight: w };
    return marks;
  };
}

/** Multiply-adds per output element: the weight's size over its output-feature dimension. */
const perOutputFeature = (_n: NodeProto, ctx: RuleContext, w: string, axis: number): number =>
  ctx.constantSize(w) / Math.max(1, ctx.constantDim(w, axis) ?? 1);

const conv = weightOp(() => 0, true, perOutputFeature);
const convTranspose: Rule = (node, ctx) => (attrInt(node, 'group', 1) !== 1 ? 'grouped ConvTranspose stays float'
  // Each input element is spread over Cout/group x kH x kW outputs.
  : weightOp(() => 1, true, (_n, c, w) => c.constantSize(w) / Math.max(1, c.constantDim(w, 0) ?? 1))(node, ctx));

const gemm: Rule = (node, ctx) => {
  if (attrInt(node, 'transA', 0) !== 0) return 'transA=1 is not quantized';
  const marks = weightOp((n) => (attrInt(n, 'transB', 0) === 1 ? 0 : 1), false, perOutputFeature)(node, ctx);
  if (typeof marks !== 'string' && marks.bias && (attrFloat(node, 'alpha', 1) !== 1 || attrFloat(node, 'beta', 1) !== 1)) delete marks.bias;
  return marks;
};

const matMul: Rule = (node, ctx) => {
  const a = input(node, 0);
  const b = input(node, 1);
  if (!ctx.isConstant(b)) {
    if (ctx.isConstant(a)) return 'its constant is the first input';
    if (!ctx.activationMatMuls) return 'both inputs are activations';
    if (ctx.isRecurrent(output(node, 0))) return 'on a recurrent (LSTM/GRU/RNN) path';
    // Attention's QK^T and AV: both inputs uint8 with their own ranges, the output too (QLinearMatMul).
    return { activations: [a, b], outputs: [output(node, 0)] };
  }
  // The output-feature axis of the [..., K, N] weight.
  return weightOp((_n, rank) => rank - 1, false, perOutputFeature)(node, ctx);
};

/** Ops ORT runs on integers by dropping the Q/DQ around them when both sides share one scale. */
const sharesInputParams: Rule = (node, ctx) => {
  const x = input(node, 0);
  if (!ctx.isQuantized(x)) return 'its input is not quantized';
  if (ctx.isRecurrent(output(node, 0))) return 'on a recurrent (LSTM/GRU/RNN) path';
  return { activations: [x], outputs: [], shares: { output: output(node, 0), input: x } };
};

/** Relu/Clip after a quantized op: the op's output takes the activation's range and ORT drops the activation. */
const removableActivation: Rule = (node, ctx) => {
  const x = input(node, 0);
  if (node.opType === 'Clip') {
    // A Clip whose minimum is above 0 is a guard (against Log(0), say); the
    // uint8 range of a fused Clip always reaches 0, so folding it would undo the guard.
    const min = (node.input ?? [])[1] ? ctx.scalarValue(input(node, 1)) : attrFloat(node, 'min', -Infinity);
    if (min === undefined || min > 0) return 'a positive minimum is a guard, kept exact';
  }
  const producer = ctx.quantizedProducerOp(x);
  if (!producer || !WEIGHT_OPS.has(producer)) return 'it does not follow a quantized op';
  if (ctx.consumerCount(x) !== 1) return 'its input has other consumers';
  return { activations: [output(node, 0)], outputs: [], rangeFromOutput: { input: x, output: output(node, 0) } };
};

/** One quantized input, an output with its own range (QLinearAveragePool, QLinearSigmoid...). */
const unary: Rule = (node, ctx) => {
  const x = input(node, 0);
  if (!ctx.isQuantized(x)) return 'its input is not quantized';
  if (ctx.isRecurrent(output(node, 0))) return 'on a recurrent (LSTM/GRU/RNN) path';
  return { activations: [x], outputs: [output(node, 0)] };
};

/** Softmax: its output lies in [0, 1] whatever the samples say. */
const softmax: Rule = (node, ctx) => {
  const marks = unary(node, ctx);
  if (typeof marks === 'string') return marks;
  return { activations: marks.activations, outputs: [], fixedOutput: { name: output(node, 0), min: 0, max: 1 } };
};

/** Add/Mul of two activations (residual connections): ORT has QLinearAdd/QLinearMul. */
const binaryActivations: Rule = (node, ctx) => {
  const [a, b] = [input(node, 0), input(node, 1)];
  if (ctx.isConstant(a) || ctx.isConstant(b)) return 'one input is a constant';
  if (!ctx.isQuantized(a) || !ctx.isQuantized(b)) return 'its inputs are not quantized';
  if (ctx.isRecurrent(output(node, 0))) return 'on a recurrent (LSTM/GRU/RNN) path';
  return { activations: [a, b], outputs: [output(node, 0)] };
};

/** Concat of quantized activations: QLinearConcat. */
const concat: Rule = (node, ctx) => {
  const inputs = (node.input ?? []).filter(Boolean);
  if (!inputs.every((i) => ctx.isQuantized(i))) return 'not all its inputs are quantized';
  if (ctx.isRecurrent(output(node, 0))) return 'on a recurrent (LSTM/GRU/RNN) path';
  return { activations: inputs, outputs: [output(node, 0)] };
};

export const WEIGHT_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
export const RECURRENT_OPS = new Set(['LSTM', 'GRU', 'RNN']);

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
  Resize: sharesInputParams,
  Slice: sharesInputParams,
  AveragePool: unary,
  GlobalAveragePool: unary,
  Sigmoid: unary,
  LeakyRelu: unary,
  Softmax: softmax,
  Concat: concat,
  Add: binaryActivations,
  Mul: binaryActivations,
};
