// Small deterministic ONNX models for the quantizer's tests and benchmarks,
// built with src/onnx/build.ts. Every generator takes a seed; the same seed
// gives the same bytes. Weights use He init (N(0, sqrt(2 / fan_in))) and
// small non-zero biases, so quantization error is what a real model shows.
//
// Also here: random inputs for a model (randomInputs) and calibration sample
// files in np.savez's layout (writeSamples).
import { mulberry32 } from '../../src/prng.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import ort from 'onnxruntime-node';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { float32ArrayToHalf } from '../../src/onnx/float16.js';
import type { ModelProto, NodeProto, TensorProto } from '../../src/onnx/proto.js';

// ---------------------------------------------------------------- types

/** int64 inputs get ids in [0, 1000); bool inputs true/false. */
export type InputDType = 'float32' | 'float16' | 'int64' | 'bool';

/** One model input, with the concrete shape randomInputs and writeSamples use (batch 1). */
export interface InputSpec {
  name: string;
  shape: number[];
  dtype: InputDType;
  /** the values' distribution: 'normal' N(0,1) (default) or 'unit' uniform [0,1) (images) */
  dist?: 'normal' | 'unit';
}

/** One model output, with the shape it has for the inputs' concrete shapes. */
export interface OutputSpec {
  name: string;
  shape: number[];
}

export interface GeneratedModel {
  model: ModelProto;
  inputs: InputSpec[];
  outputs: OutputSpec[];
}

// ---------------------------------------------------------------- randomness

export { mulberry32 };

/** A seeded source of uniform and normal numbers. */
export class Rng {
  private readonly next: () => number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** N(0, 1) by Box-Muller. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  normalArray(n: number, std = 1, mean = 0): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------- building blocks

/**
 * Collects a graph's weights as initializers or as Constant nodes, in FLOAT or
 * FLOAT16, so each generator describes its weights once.
 */
export class WeightSink {
  readonly initializers: TensorProto[] = [];
  /** Constant nodes (weightsAs 'constant'); put them before the nodes that use them */
  readonly constants: NodeProto[] = [];

  constructor(readonly as: 'initializer' | 'constant' = 'initializer', readonly fp16 = false) {}

  get floatType(): number {
    return this.fp16 ? DataType.FLOAT16 : DataType.FLOAT;
  }

  /** Adds a float tensor (stored as FLOAT16 bits when fp16) and returns its name. */
  add(name: string, dims: number[], data: Float32Array): string {
    const tensor = this.fp16
      ? makeTensor(name, dims, float32ArrayToHalf(data), DataType.FLOAT16)
      : makeTensor(name, dims, data);
    return this.addTensor(tensor);
  }

  /** Adds a tensor as it is (e.g. INT64 axes). */
  addTensor(tensor: TensorProto): string {
    const name = tensor.name as string;
    if (this.as === 'constant') {
      // Exporters leave the Constant's value tensor unnamed; the node's output carries the name.
      tensor.name = '';
      this.constants.push(makeNode('Constant', [], [name], `${name}_const`, { value: tensor }));
    } else {
      this.initializers.push(tensor);
    }
    return name;
  }
}

/** He-initialised weight: N(0, sqrt(2 / fanIn)). */
function heWeight(rng: Rng, dims: number[], fanIn: number): Float32Array {
  return rng.normalArray(numel(dims), Math.sqrt(2 / fanIn));
}

/** A small non-zero bias: N(0.01, 0.05) clipped away from 0. */
function smallBias(rng: Rng, n: number): Float32Array {
  const b = rng.normalArray(n, 0.05, 0.01);
  for (let i = 0; i < n; i++) if (Math.abs(b[i]) < 1e-3) b[i] = b[i] < 0 ? -1e-3 : 1e-3;
  return b;
}

export function writeModel(model: ModelProto, path: string): void {
  writeFileSync(path, encodeModel(model));
}

// ---------------------------------------------------------------- convNet

export interface ConvNetOptions {
  opset?: number;
  irVersion?: number;
  weightsAs?: 'initializer' | 'constant';
  batchNorm?: boolean;
  fp16?: boolean;
  /** output channels of the two Convs */
  channels?: [number, number];
  /** input height and width */
  size?: number;
  /** an Unsqueeze + Squeeze pair after Flatten (axes as attribute before opset 13, as input from 13) */
  withSqueeze?: boolean;
  /** classes out of the Gemm */
  classes?: number;
}

/**
 * x [batch,3,S,S] → Conv3x3(+bias) → [BatchNormalization] → Relu → MaxPool2x2
 * → Conv3x3(+bias) → Relu → GlobalAveragePool → Flatten → [Unsqueeze → Squeeze]
 * → Gemm(transB=1) → y [batch, 10].
 */
export function convNet(seed: number, opts: ConvNetOptions = {}): GeneratedModel {
  const opset = opts.opset ?? 13;
  const irVersion = opts.irVersion ?? 8;
  const fp16 = opts.fp16 ?? false;
  const [c1, c2] = opts.channels ?? [8, 16];
  const size = opts.size ?? 16;
  const classes = opts.classes ?? 10;
  if (fp16 && opset < 13) throw new Error('convNet: fp16 needs opset >= 13');
  if (size % 2 !== 0) throw new Error('convNet: size must be even');
  const rng = new Rng(seed);
  const w = new WeightSink(opts.weightsAs ?? 'initializer', fp16);
  const ft = w.floatType;
  const nodes: NodeProto[] = [];

  const w1 = w.add('conv1.weight', [c1, 3, 3, 3], heWeight(rng, [c1, 3, 3, 3], 3 * 9));
  const b1 = w.add('conv1.bias', [c1], smallBias(rng, c1));
  nodes.push(makeNode('Conv', ['x', w1, b1], ['conv1_out'], 'conv1', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }));
  let act = 'conv1_out';
  if (opts.batchNorm) {
    const scale = w.add('bn1.weight', [c1], rng.uniformArray(c1, 0.5, 1.5));
    const bias = w.add('bn1.bias', [c1], rng.normalArray(c1, 0.1));
    const mean = w.add('bn1.running_mean', [c1], rng.normalArray(c1, 0.2));
    const variance = w.add('bn1.running_var', [c1], rng.uniformArray(c1, 0.5, 2));
    nodes.push(makeNode('BatchNormalization', [act, scale, bias, mean, variance], ['bn1_out'], 'bn1', { epsilon: { float: 1e-5 } }));
    act = 'bn1_out';
  }
  nodes.push(makeNode('Relu', [act], ['relu1_out'], 'relu1'));
  nodes.push(makeNode('MaxPool', ['relu1_out'], ['pool1_out'], 'pool1', { kernel_shape: [2, 2], strides: [2, 2] }));
  const w2 = w.add('conv2.weight', [c2, c1, 3, 3], heWeight(rng, [c2, c1, 3, 3], c1 * 9));
  const b2 = w.add('conv2.bias', [c2], smallBias(rng, c2));
  nodes.push(makeNode('Conv', ['pool1_out', w2, b2], ['conv2_out'], 'conv2', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] }));
  nodes.push(makeNode('Relu', ['conv2_out'], ['relu2_out'], 'relu2'));
  nodes.push(makeNode('GlobalAveragePool', ['relu2_out'], ['gap_out'], 'gap'));
  nodes.push(makeNode('Flatten', ['gap_out'], ['flat_out'], 'flatten', { axis: 1 }));
  let feat = 'flat_out';
  if (opts.withSqueeze) {
    if (opset < 13) {
      nodes.push(makeNode('Unsqueeze', [feat], ['unsq_out'], 'unsqueeze', { axes: [2] }));
      nodes.push(makeNode('Squeeze', ['unsq_out'], ['sq_out'], 'squeeze', { axes: [2] }));
    } else {
      const axes = w.addTensor(makeTensor('squeeze_axes', [1], BigInt64Array.of(2n)));
      nodes.push(makeNode('Unsqueeze', [feat, axes], ['unsq_out'], 'unsqueeze'));
      nodes.push(makeNode('Squeeze', ['unsq_out', axes], ['sq_out'], 'squeeze'));
    }
    feat = 'sq_out';
  }
  // Glorot-ish for the classifier (no Relu after it).
  const fcW = w.add('fc.weight', [classes, c2], rng.normalArray(classes * c2, Math.sqrt(2 / (c2 + classes))));
  const fcB = w.add('fc.bias', [classes], smallBias(rng, classes));
  nodes.push(makeNode('Gemm', [feat, fcW, fcB], ['y'], 'fc', { transB: 1, alpha: { float: 1 }, beta: { float: 1 } }));

  const graph = makeGraph({
    name: 'convnet',
    nodes: [...w.constants, ...nodes],
    inputs: [makeValueInfo('x', ft, ['batch', 3, size, size])],
    outputs: [makeValueInfo('y', ft, ['batch', classes])],
    initializers: w.initializers,
  });
  return {
    model: makeModel(graph, opset, irVersion),
    inputs: [{ name: 'x', shape: [1, 3, size, size], dtype: fp16 ? 'float16' : 'float32', dist: 'unit' }],
    outputs: [{ name: 'y', shape: [1, classes] }],
  };
}

// ---------------------------------------------------------------- mlp

export interface MlpOptions {
  opset?: number;
  irVersion?: number;
  hidden?: number[];
  inFeatures?: number;
  outFeatures?: number;
  /** MatMul [K,N] + Add bias (PyTorch's export of Linear on >2-D input); false: Gemm transB=1 with [N,K] */
  useMatMul?: boolean;
  /** the first layer runs as two parallel branches (x and Relu(x)) that share one weight, summed */
  sharedWeight?: boolean;
}

/** x [batch, in] → (Linear → Relu)* → Linear → y [batch, out]. */
export function mlp(seed: number, opts: MlpOptions = {}): GeneratedModel {
  const opset = opts.opset ?? 13;
  const irVersion = opts.irVersion ?? 8;
  const hidden = opts.hidden ?? [64, 32];
  const inF = opts.inFeatures ?? 32;
  const outF = opts.outFeatures ?? 10;
  const useMatMul = opts.useMatMul ?? true;
  const rng = new Rng(seed);
  const w = new WeightSink('initializer');
  const nodes: NodeProto[] = [];
  const sizes = [inF, ...hidden, outF];

  /** one Linear of `input` with the given weight/bias names; returns its output */
  const linear = (prefix: string, input: string, wName: string, bName: string | undefined, out = `${prefix}_out`): string => {
    if (useMatMul) {
      nodes.push(makeNode('MatMul', [input, wName], [bName ? `${prefix}_mm` : out], `${prefix}_matmul`));
      if (bName) nodes.push(makeNode('Add', [`${prefix}_mm`, bName], [out], `${prefix}_add`));
      return out;
    }
    const inputs = bName ? [input, wName, bName] : [input, wName];
    nodes.push(makeNode('Gemm', inputs, [out], `${prefix}_gemm`, { transB: 1 }));
    return out;
  };
  const addWeight = (name: string, k: number, n: number, fanIn = k): string =>
    useMatMul ? w.add(name, [k, n], heWeight(rng, [k, n], fanIn)) : w.add(name, [n, k], heWeight(rng, [n, k], fanIn));

  let act = 'x';
  for (let l = 0; l < sizes.length - 1; l++) {
    const k = sizes[l];
    const n = sizes[l + 1];
    const last = l === sizes.length - 2;
    const wName = addWeight(`fc${l}.weight`, k, n);
    const bName = w.add(`fc${l}.bias`, [n], smallBias(rng, n));
    const out = last ? 'y' : `fc${l}_out`;
    if (l === 0 && opts.sharedWeight) {
      // Two branches through the same weight: x·W and Relu(x)·W, summed. MatMul: one bias
      // Add after the sum; Gemm: each branch's Gemm takes the (also shared) bias as C.
      nodes.push(makeNode('Relu', [act], ['x_relu'], 'branch_relu'));
      const a = linear('fc0a', act, wName, useMatMul ? undefined : bName);
      const b = linear('fc0b', 'x_relu', wName, useMatMul ? undefined : bName);
      if (useMatMul) {
        nodes.push(makeNode('Add', [a, b], ['fc0_sum'], 'fc0_sum'));
        nodes.push(makeNode('Add', ['fc0_sum', bName], [out], 'fc0_bias'));
      } else {
        nodes.push(makeNode('Add', [a, b], [out], 'fc0_sum'));
      }
    } else {
      linear(`fc${l}`, act, wName, bName, out);
    }
    if (!last) {
      nodes.push(makeNode('Relu', [out], [`relu${l}`], `relu${l}`));
      act = `relu${l}`;
    }
  }
  const graph = makeGraph({
    name: 'mlp',
    nodes,
    inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', inF])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['batch', outF])],
    initializers: w.initializers,
  });
  return {
    model: makeModel(graph, opset, irVersion),
    inputs: [{ name: 'x', shape: [1, inF], dtype: 'float32' }],
    outputs: [{ name: 'y', shape: [1, outF] }],
  };
}

// ---------------------------------------------------------------- activationMatMul

export interface ActivationMatMulOptions {
  opset?: number;
  irVersion?: number;
}

/**
 * a [batch,8,16] · b [batch,16,8] (both activations) → [batch,8,8]
 * → MatMul with a weight [8,4] + Add bias → y [batch,8,4].
 * Only the second MatMul has a constant weight.
 */
export function activationMatMul(seed: number, opts: ActivationMatMulOptions = {}): GeneratedModel {
  const opset = opts.opset ?? 13;
  const irVersion = opts.irVersion ?? 8;
  const rng = new Rng(seed);
  const w = new WeightSink('initializer');
  const wName = w.add('proj.weight', [8, 4], heWeight(rng, [8, 4], 8));
  const bName = w.add('proj.bias', [4], smallBias(rng, 4));
  const nodes = [
    makeNode('MatMul', ['a', 'b'], ['ab'], 'act_matmul'),
    makeNode('MatMul', ['ab', wName], ['proj_mm'], 'proj_matmul'),
    makeNode('Add', ['proj_mm', bName], ['y'], 'proj_add'),
  ];
  const graph = makeGraph({
    name: 'activation_matmul',
    nodes,
    inputs: [makeValueInfo('a', DataType.FLOAT, ['batch', 8, 16]), makeValueInfo('b', DataType.FLOAT, ['batch', 16, 8])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['batch', 8, 4])],
    initializers: w.initializers,
  });
  return {
    model: makeModel(graph, opset, irVersion),
    inputs: [
      { name: 'a', shape: [1, 8, 16], dtype: 'float32' },
      { name: 'b', shape: [1, 16, 8], dtype: 'float32' },
    ],
    outputs: [{ name: 'y', shape: [1, 8, 4] }],
  };
}

/**
 * A voice-activity-style recurrent model: x [8, 1, 16] → MatMul projection →
 * LSTM (hidden 24) with recurrent state inputs h0/c0 → MatMul head on the
 * last hidden state → y [1, 1, 2]; hn and cn are outputs too (the state the
 * caller feeds back), as streaming models do.
 */
export function lstmModel(seed: number): GeneratedModel {
  const rng = new Rng(seed);
  const hidden = 24;
  const inits = [
    makeTensor('proj_w', [16, 32], heWeight(rng, [16, 32], 16)),
    makeTensor('lstm_W', [1, 4 * hidden, 32], rng.normalArray(4 * hidden * 32, 0.2)),
    makeTensor('lstm_R', [1, 4 * hidden, hidden], rng.normalArray(4 * hidden * hidden, 0.2)),
    makeTensor('lstm_B', [1, 8 * hidden], smallBias(rng, 8 * hidden)),
    makeTensor('head_w', [hidden, 2], heWeight(rng, [hidden, 2], hidden)),
  ];
  const nodes = [
    makeNode('MatMul', ['x', 'proj_w'], ['proj'], 'proj_matmul'),
    makeNode('LSTM', ['proj', 'lstm_W', 'lstm_R', 'lstm_B', '', 'h0', 'c0'], ['seq', 'hn', 'cn'], 'lstm', { hidden_size: hidden }),
    makeNode('MatMul', ['hn', 'head_w'], ['y'], 'head_matmul'),
  ];
  const graph = makeGraph({
    name: 'lstm',
    nodes,
    inputs: [makeValueInfo('x', DataType.FLOAT, [8, 1, 16]), makeValueInfo('h0', DataType.FLOAT, [1, 1, hidden]), makeValueInfo('c0', DataType.FLOAT, [1, 1, hidden])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, 1, 2]), makeValueInfo('hn', DataType.FLOAT, [1, 1, hidden]), makeValueInfo('cn', DataType.FLOAT, [1, 1, hidden])],
    initializers: inits,
  });
  return {
    model: makeModel(graph, 13, 8),
    inputs: [
      { name: 'x', shape: [8, 1, 16], dtype: 'float32' },
      { name: 'h0', shape: [1, 1, hidden], dtype: 'float32' },
      { name: 'c0', shape: [1, 1, hidden], dtype: 'float32' },
    ],
    outputs: [{ name: 'y', shape: [1, 1, 2] }, { name: 'hn', shape: [1, 1, hidden] }, { name: 'cn', shape: [1, 1, hidden] }],
  };
}

/**
 * x [1, 4, 8, 8] and a boolean `cond` → If: each branch is a Conv whose weight
 * comes from a Constant node inside the branch (plus, in the then-branch, a
 * Relu and a second Conv whose weight is an OUTER-scope initializer), so the
 * quantizer has to reach into subgraphs and across scopes.
 */
export function ifConvModel(seed: number): GeneratedModel {
  const rng = new Rng(seed);
  const branch = (name: string, withOuter: boolean) => {
    const inner = new WeightSink('constant');
    const w = inner.add(`${name}_w`, [8, 4, 3, 3], heWeight(rng, [8, 4, 3, 3], 36));
    const b = inner.add(`${name}_b`, [8], smallBias(rng, 8));
    const nodes: NodeProto[] = [...inner.constants, makeNode('Conv', ['x', w, b], [withOuter ? `${name}_c1` : `${name}_y`], `${name}_conv`, { pads: [1, 1, 1, 1] })];
    if (withOuter) {
      nodes.push(makeNode('Relu', [`${name}_c1`], [`${name}_r`], `${name}_relu`));
      nodes.push(makeNode('Conv', [`${name}_r`, 'outer_w'], [`${name}_y`], `${name}_conv2`, { pads: [1, 1, 1, 1] }));
    }
    return makeGraph({ name, nodes, inputs: [], outputs: [makeValueInfo(`${name}_y`, DataType.FLOAT, [1, 8, 8, 8])] });
  };
  const graph = makeGraph({
    name: 'if_conv',
    nodes: [makeNode('If', ['cond'], ['y'], 'branch', { then_branch: branch('then', true), else_branch: branch('else', false) })],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 4, 8, 8]), makeValueInfo('cond', DataType.BOOL, [])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, 8, 8, 8])],
    initializers: [makeTensor('outer_w', [8, 8, 3, 3], heWeight(rng, [8, 8, 3, 3], 72))],
  });
  return {
    model: makeModel(graph, 13, 8),
    inputs: [{ name: 'x', shape: [1, 4, 8, 8], dtype: 'float32' }, { name: 'cond', shape: [], dtype: 'bool' }],
    outputs: [{ name: 'y', shape: [1, 8, 8, 8] }],
  };
}

/**
 * A transformer encoder block in FLOAT16 (opset 17): x [1, 16, 64] → Q/K/V
 * projections (MatMul + Add) → Q·Kᵀ (two activations) → Softmax → ·V → output
 * projection → residual Add → LayerNormalization → FFN (MatMul, Relu,
 * MatMul) → residual Add → y.
 */
export function fp16TransformerBlock(seed: number, opts: { fp16?: boolean; seq?: number; hidden?: number } = {}): GeneratedModel {
  const rng = new Rng(seed);
  const fp16 = opts.fp16 ?? true;
  const seq = opts.seq ?? 16;
  const h = opts.hidden ?? 64;
  const sink = new WeightSink('initializer', fp16);
  const ft = sink.floatType;
  const lin = (name: string, inp: string, k: number, n: number, nodes: NodeProto[]): string => {
    const w = sink.add(`${name}_w`, [k, n], rng.normalArray(k * n, Math.sqrt(1 / k)));
    const b = sink.add(`${name}_b`, [n], smallBias(rng, n));
    nodes.push(makeNode('MatMul', [inp, w], [`${name}_mm`], `${name}_matmul`));
    nodes.push(makeNode('Add', [`${name}_mm`, b], [`${name}_out`], `${name}_add`));
    return `${name}_out`;
  };
  const nodes: NodeProto[] = [];
  const q = lin('q', 'x', h, h, nodes);
  const k = lin('k', 'x', h, h, nodes);
  const v = lin('v', 'x', h, h, nodes);
  nodes.push(makeNode('Transpose', [k], ['kT'], 'k_transpose', { perm: [0, 2, 1] }));
  nodes.push(makeNode('MatMul', [q, 'kT'], ['scores_raw'], 'scores_matmul'));
  const scale = sink.add('attn_scale', [], Float32Array.of(1 / Math.sqrt(h)));
  nodes.push(makeNode('Mul', ['scores_raw', scale], ['scores'], 'scores_scale'));
  nodes.push(makeNode('Softmax', ['scores'], ['probs'], 'softmax', { axis: -1 }));
  nodes.push(makeNode('MatMul', ['probs', v], ['context'], 'context_matmul'));
  const o = lin('o', 'context', h, h, nodes);
  nodes.push(makeNode('Add', ['x', o], ['res1'], 'residual1'));
  const gamma = sink.add('ln_gamma', [h], rng.normalArray(h, 0.05, 1));
  const beta = sink.add('ln_beta', [h], smallBias(rng, h));
  nodes.push(makeNode('LayerNormalization', ['res1', gamma, beta], ['ln'], 'layernorm', { axis: -1 }));
  const f1 = lin('ffn1', 'ln', h, 4 * h, nodes);
  nodes.push(makeNode('Relu', [f1], ['ffn_act'], 'ffn_relu'));
  const f2 = lin('ffn2', 'ffn_act', 4 * h, h, nodes);
  nodes.push(makeNode('Add', ['ln', f2], ['y'], 'residual2'));
  const graph = makeGraph({
    name: 'transformer_block', nodes,
    inputs: [makeValueInfo('x', ft, [1, seq, h])],
    outputs: [makeValueInfo('y', ft, [1, seq, h])],
    initializers: sink.initializers,
  });
  return {
    model: makeModel(graph, 17, 8),
    inputs: [{ name: 'x', shape: [1, seq, h], dtype: fp16 ? 'float16' : 'float32' }],
    outputs: [{ name: 'y', shape: [1, seq, h] }],
  };
}

/** ids [1, 12] (int64) → Gather on a [1000, 64] embedding table → MatMul [64, 16] → y [1, 12, 16]. */
export function embeddingModel(seed: number): GeneratedModel {
  const rng = new Rng(seed);
  const table = makeTensor('embedding', [1000, 64], rng.normalArray(1000 * 64, 0.5));
  const proj = makeTensor('proj_w', [64, 16], heWeight(rng, [64, 16], 64));
  const graph = makeGraph({
    name: 'embedding',
    nodes: [makeNode('Gather', ['embedding', 'ids'], ['emb'], 'embed'), makeNode('MatMul', ['emb', 'proj_w'], ['y'], 'proj')],
    inputs: [makeValueInfo('ids', DataType.INT64, [1, 12])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, 12, 16])],
    initializers: [table, proj],
  });
  return { model: makeModel(graph, 13, 8), inputs: [{ name: 'ids', shape: [1, 12], dtype: 'int64' }], outputs: [{ name: 'y', shape: [1, 12, 16] }] };
}

// ---------------------------------------------------------------- inputs and samples

type SpecLike = readonly InputSpec[] | { inputs: readonly InputSpec[] };
const specsOf = (spec: SpecLike): readonly InputSpec[] => ('inputs' in spec ? spec.inputs : spec);

/** Values for each input as float32 (before any fp16 conversion), from one seed. */
function randomArrays(spec: SpecLike, seed: number): Array<{ input: InputSpec; data: Float32Array }> {
  const rng = new Rng(seed);
  return specsOf(spec).map((input) => {
    const n = numel(input.shape);
    const data = input.dist === 'unit' ? rng.uniformArray(n) : rng.normalArray(n);
    return { input, data };
  });
}

/** Random feeds for a model's inputs: N(0,1), or uniform [0,1) for image inputs. */
export function randomInputs(spec: SpecLike, seed: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const { input, data } of randomArrays(spec, seed)) {
    if (input.dtype === 'int64') feeds[input.name] = new ort.Tensor('int64', BigInt64Array.from(data, (v) => BigInt(Math.floor(Math.abs(v) * 333) % 1000)), input.shape);
    else if (input.dtype === 'bool') feeds[input.name] = new ort.Tensor('bool', Uint8Array.from(data, (v) => (v > 0 ? 1 : 0)), input.shape);
    else if (input.dtype === 'float16') feeds[input.name] = new ort.Tensor('float16', float32ArrayToHalf(data), input.shape);
    else feeds[input.name] = new ort.Tensor('float32', data, input.shape);
  }
  return feeds;
}

/** A .npy v1.0 file: header dict padded with spaces to a 64-byte boundary, then the data. */
export function encodeNpy(descr: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const headerLen = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + headerLen + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, headerLen, true);
  out.fill(0x20, 10, 10 + headerLen);
  out.set(new TextEncoder().encode(dict), 10);
  out[10 + headerLen - 1] = 0x0a;
  out.set(data, 10 + headerLen);
  return out;
}

/** An np.savez-style .npz (stored, uncompressed zip) of the given arrays. */
export function encodeNpz(arrays: Record<string, { descr: string; shape: readonly number[]; data: Uint8Array }>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) files[`${name}.npy`] = encodeNpy(a.descr, a.shape, a.data);
  // A fixed mtime so the same samples give the same bytes.
  return zipSync(files, { level: 0, mtime: new Date(2000, 0, 1) });
}

const bytesOf = (a: Float32Array | Uint16Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Writes `count` calibration samples into `dir` as sample_000.npz, sample_001.npz, ...
 * (one member '<input>.npy' per input, as np.savez writes). Sample i uses seed + i,
 * so sample i holds what randomInputs(spec, seed + i) gives. Returns the paths.
 */
export function writeSamples(dir: string, spec: SpecLike, count: number, seed: number): string[] {
  mkdirSync(dir, { recursive: true });
  const digits = Math.max(3, String(count - 1).length);
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const arrays: Record<string, { descr: string; shape: readonly number[]; data: Uint8Array }> = {};
    for (const { input, data } of randomArrays(spec, seed + i)) {
      arrays[input.name] = input.dtype === 'float16'
        ? { descr: '<f2', shape: input.shape, data: bytesOf(float32ArrayToHalf(data)) }
        : { descr: '<f4', shape: input.shape, data: bytesOf(data) };
    }
    const path = join(dir, `sample_${String(i).padStart(digits, '0')}.npz`);
    writeFileSync(path, encodeNpz(arrays));
    paths.push(path);
  }
  return paths;
}
