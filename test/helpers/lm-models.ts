// A small language-model-shaped graph for the low-bit tests: token ids →
// embedding Gather → pre-norm MLP blocks with residuals → LayerNorm → an
// output head, either its own MatMul or tied to the embedding table through
// a Transpose (the form exporters give GPT-2's head). Deterministic in the
// seed; float32 or float16 weights.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import type { NodeProto } from '../../src/onnx/proto.js';
import { encodeNpz, Rng, WeightSink, type GeneratedModel } from './models.js';

export interface TinyLmOptions {
  vocab?: number;
  hidden?: number;
  /** Inner width of each block; not a multiple of 32 exercises padded blocks. */
  ffn?: number;
  layers?: number;
  seq?: number;
  tied?: boolean;
  fp16?: boolean;
  opset?: number;
}

export function tinyLm(seed: number, opts: TinyLmOptions = {}): GeneratedModel {
  const { vocab = 1000, hidden = 64, ffn = 100, layers = 2, seq = 12, tied = true, fp16 = false, opset = 17 } = opts;
  const rng = new Rng(seed);
  const w = new WeightSink('initializer', fp16);
  const ft = w.floatType;
  const nodes: NodeProto[] = [];
  const wte = w.add('wte', [vocab, hidden], rng.normalArray(vocab * hidden, 0.5));
  nodes.push(makeNode('Gather', [wte, 'input_ids'], ['x0'], 'embed'));
  let x = 'x0';
  for (let l = 0; l < layers; l++) {
    const p = `h${l}`;
    const g = w.add(`${p}.ln.weight`, [hidden], Float32Array.from({ length: hidden }, () => 1 + 0.1 * rng.normal()));
    const b = w.add(`${p}.ln.bias`, [hidden], rng.normalArray(hidden, 0.05));
    const w1 = w.add(`${p}.fc1.weight`, [hidden, ffn], rng.normalArray(hidden * ffn, Math.sqrt(2 / hidden)));
    const b1 = w.add(`${p}.fc1.bias`, [ffn], rng.normalArray(ffn, 0.05));
    const w2 = w.add(`${p}.fc2.weight`, [ffn, hidden], rng.normalArray(ffn * hidden, Math.sqrt(1 / ffn)));
    const b2 = w.add(`${p}.fc2.bias`, [hidden], rng.normalArray(hidden, 0.05));
    nodes.push(
      makeNode('LayerNormalization', [x, g, b], [`${p}_ln`], `${p}_ln`, { axis: -1, epsilon: { float: 1e-5 } }),
      makeNode('MatMul', [`${p}_ln`, w1], [`${p}_mm1`], `${p}_fc1`),
      makeNode('Add', [`${p}_mm1`, b1], [`${p}_a1`], `${p}_fc1_bias`),
      makeNode('Relu', [`${p}_a1`], [`${p}_r`], `${p}_relu`),
      makeNode('MatMul', [`${p}_r`, w2], [`${p}_mm2`], `${p}_fc2`),
      makeNode('Add', [`${p}_mm2`, b2], [`${p}_a2`], `${p}_fc2_bias`),
      makeNode('Add', [x, `${p}_a2`], [`${p}_out`], `${p}_residual`),
    );
    x = `${p}_out`;
  }
  const gf = w.add('ln_f.weight', [hidden], Float32Array.from({ length: hidden }, () => 1));
  const bf = w.add('ln_f.bias', [hidden], new Float32Array(hidden));
  nodes.push(makeNode('LayerNormalization', [x, gf, bf], ['final'], 'ln_f', { axis: -1, epsilon: { float: 1e-5 } }));
  if (tied) {
    nodes.push(makeNode('Transpose', [wte], ['wte_t'], 'head_transpose', { perm: [1, 0] }));
    nodes.push(makeNode('MatMul', ['final', 'wte_t'], ['logits'], 'lm_head'));
  } else {
    const head = w.add('lm_head.weight', [hidden, vocab], rng.normalArray(hidden * vocab, Math.sqrt(1 / hidden)));
    nodes.push(makeNode('MatMul', ['final', head], ['logits'], 'lm_head'));
  }
  const graph = makeGraph({
    name: 'tiny_lm', nodes, initializers: w.initializers,
    inputs: [makeValueInfo('input_ids', DataType.INT64, [1, 'sequence'])],
    outputs: [makeValueInfo('logits', ft, [1, 'sequence', vocab])],
  });
  return {
    model: makeModel(graph, opset, 8),
    inputs: [{ name: 'input_ids', shape: [1, seq], dtype: 'int64' }],
    outputs: [{ name: 'logits', shape: [1, seq, vocab] }],
  };
}

/** A model with nothing low-bit weights apply to: Conv, Relu, a MatMul of two activations. */
export function noMatMulWeights(): GeneratedModel {
  const rng = new Rng(1);
  const graph = makeGraph({
    nodes: [
      makeNode('Conv', ['x', 'w'], ['c'], 'conv', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      makeNode('Relu', ['c'], ['r'], 'relu'),
      makeNode('MatMul', ['r', 'r'], ['y'], 'self_matmul'),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 1, 8, 8])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, 4, 8, 8])],
    initializers: [makeTensor('w', [4, 1, 3, 3], rng.normalArray(36))],
  });
  return { model: makeModel(graph, 13, 8), inputs: [{ name: 'x', shape: [1, 1, 8, 8], dtype: 'float32' }], outputs: [{ name: 'y', shape: [1, 4, 8, 8] }] };
}

/** Calibration samples of random token ids ([1, seq] int64 `input_ids`), one .npz each. */
export function writeTokenSamples(dir: string, count: number, seq: number, vocab: number, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const ids = BigInt64Array.from({ length: seq }, () => BigInt(Math.floor(rng.uniform() * vocab)));
    writeFileSync(join(dir, `sample_${String(i).padStart(3, '0')}.npz`),
      encodeNpz({ input_ids: { descr: '<i8', shape: [1, seq], data: new Uint8Array(ids.buffer) } }));
  }
}

/** Two Gemm layers as exporters write Linear on 2-D inputs: transB 1 with a bias, then transB 0 without. */
export function gemmMlp(seed: number): GeneratedModel {
  const rng = new Rng(seed);
  const [inp, hid, out] = [48, 80, 24];
  const graph = makeGraph({
    nodes: [
      makeNode('Gemm', ['x', 'w1', 'b1'], ['h'], 'fc1', { transB: 1 }),
      makeNode('Relu', ['h'], ['r'], 'relu'),
      makeNode('Gemm', ['r', 'w2'], ['logits'], 'fc2'),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, [4, inp])],
    outputs: [makeValueInfo('logits', DataType.FLOAT, [4, out])],
    initializers: [
      makeTensor('w1', [hid, inp], rng.normalArray(hid * inp, Math.sqrt(2 / inp))),
      makeTensor('b1', [hid], rng.normalArray(hid, 0.1)),
      makeTensor('w2', [hid, out], rng.normalArray(hid * out, Math.sqrt(1 / hid))),
    ],
  });
  return { model: makeModel(graph, 13, 8), inputs: [{ name: 'x', shape: [4, inp], dtype: 'float32' }], outputs: [{ name: 'logits', shape: [4, out] }] };
}
