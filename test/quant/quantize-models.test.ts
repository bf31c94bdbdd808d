// Static quantization of generated models as found in the wild: weights in
// Constant nodes, opset 9 and 11, a weight shared by two nodes, FP16
// weights, MatMul between two activations. Each result loads in ONNX Runtime
// and keeps fidelity (cosine >= 0.99 against the float model).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { int64ToNumber } from '../../src/onnx/proto.js';
import { quantizeStatic } from '../../src/quant/quantize-model.js';
import { activationMatMul, convNet, lstmModel, mlp, randomInputs, writeModel, writeSamples, type GeneratedModel } from '../helpers/models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { asFloat, cosine } from '../helpers/fidelity.js';

const dir = makeTempDir();



async function quantizeAndCompare(name: string, g: GeneratedModel, extra: { minIntensity?: number } = {}) {
  const src = join(dir, `${name}.onnx`);
  writeModel(g.model, src);
  const samples = join(dir, `${name}-calib`);
  writeSamples(samples, g, 16, 100);
  const model = loadModel(src);
  const { proto, report } = await quantizeStatic(model, { calibrate: samples, ...extra });
  const out = join(dir, `${name}.int8.onnx`);
  saveModel(proto, out, { source: model });
  const [a, b] = await Promise.all([ort.InferenceSession.create(src), ort.InferenceSession.create(out)]);
  let worst = 1;
  for (let seed = 500; seed < 508; seed++) {
    const feeds = randomInputs(g, seed);
    const [ra, rb] = await Promise.all([a.run(feeds), b.run(feeds)]);
    for (const o of g.outputs) {
      assert.equal(rb[o.name]!.type, ra[o.name]!.type, `output ${o.name} keeps its type`);
      const fb = asFloat(rb[o.name]!);
      assert.ok(fb.every(Number.isFinite));
      worst = Math.min(worst, cosine(asFloat(ra[o.name]!), fb));
    }
  }
  return { proto, report, worst, out };
}

const dqWeights = (proto: ReturnType<typeof loadModel>['proto']) =>
  (proto.graph!.node ?? []).filter((n) => n.opType === 'DequantizeLinear' && (n.attribute ?? []).some((a) => a.name === 'axis'));

test('Conv net: per-channel int8 weights, fidelity >= 0.99', async () => {
  const { proto, report, worst } = await quantizeAndCompare('conv', convNet(1), { minIntensity: 0 });
  assert.ok(worst >= 0.99, `cosine ${worst}`);
  assert.equal(report.quantized.Conv, 2);
  assert.equal(report.quantized.Gemm, 1);
  assert.ok(dqWeights(proto).length >= 3, 'weights dequantized per channel (axis attribute)');
  const int8 = (proto.graph!.initializer ?? []).filter((t) => t.dataType === DataType.INT8 && (t.dims ?? []).length >= 2);
  assert.ok(int8.length >= 3, 'int8 weight initializers');
});

test('weights in Constant nodes are quantized like initializers', async () => {
  const { report, worst, proto } = await quantizeAndCompare('const', convNet(2, { weightsAs: 'constant' }));
  assert.ok(report.promotedConstants >= 4);
  assert.equal(report.quantized.Conv, 2);
  assert.ok(!(proto.graph!.initializer ?? []).some((t) => t.dataType === DataType.FLOAT && (t.dims ?? []).length === 4), 'no float conv weight left');
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

for (const opset of [9, 11]) {
  test(`opset ${opset}: raised to 13 for per-channel axis, loads and keeps fidelity`, async () => {
    const { report, worst, proto } = await quantizeAndCompare(`opset${opset}`, convNet(3, { opset, irVersion: opset === 9 ? 4 : 6, withSqueeze: true }));
    assert.deepEqual(report.opset, { from: opset, to: 13 });
    assert.equal(int64ToNumber(proto.opsetImport![0]!.version), 13);
    assert.ok(dqWeights(proto).length >= 3);
    assert.ok(worst >= 0.99, `cosine ${worst}`);
  });
}

test('BatchNorm is folded into the Conv before quantizing', async () => {
  const { report, worst, proto } = await quantizeAndCompare('bn', convNet(4, { batchNorm: true }));
  assert.equal(report.foldedBatchNorms, 1);
  assert.ok(!(proto.graph!.node ?? []).some((n) => n.opType === 'BatchNormalization'));
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

test('a weight shared by two MatMuls is quantized once', async () => {
  const { proto, worst } = await quantizeAndCompare('shared', mlp(5, { sharedWeight: true }));
  const names = (proto.graph!.initializer ?? []).map((t) => t.name ?? '');
  const quantizedCopies = names.filter((n) => /_quantized$/.test(n) && !/bias|_b\d|add/i.test(n));
  assert.equal(new Set(quantizedCopies).size, quantizedCopies.length);
  const dq = (proto.graph!.node ?? []).filter((n) => n.opType === 'DequantizeLinear' && n.input![0]!.startsWith(quantizedCopies[0]!));
  assert.equal(dq.length, 1, 'one DequantizeLinear feeds both users');
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

test('FP16 weights quantize with FP16 scales; FP16 I/O stays FP16', async () => {
  const { proto, worst } = await quantizeAndCompare('fp16', convNet(6, { fp16: true }));
  const scales = (proto.graph!.initializer ?? []).filter((t) => (t.name ?? '').endsWith('_scale'));
  assert.ok(scales.length > 0 && scales.every((t) => t.dataType === DataType.FLOAT16));
  assert.equal(proto.graph!.output![0]!.type!.tensorType!.elemType, DataType.FLOAT16);
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

test('MatMul between two activations is never treated as a weight', async () => {
  const { report, worst } = await quantizeAndCompare('actmm', activationMatMul(7), { minIntensity: 0 });
  const reasons = report.float.map((f) => f.reason).join(' | ');
  assert.match(reasons, /both inputs are activations/);
  assert.equal(report.quantized.MatMul, 1);
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

test('ops with too little arithmetic keep int8 weights only, at full 8-bit range', async () => {
  // The default cost rule: the 16->10 Gemm does ~6 multiply-adds per activation element.
  const { proto, report, worst } = await quantizeAndCompare('cost', convNet(8));
  const weightOnly = report.weightOnly.flatMap((w) => w.nodes);
  assert.ok(weightOnly.some((n) => /Gemm/.test(n)), `weight-only: ${weightOnly.join(', ')}`);
  assert.equal(report.quantized.Gemm, undefined);
  const gemm = (proto.graph!.node ?? []).find((n) => n.opType === 'Gemm')!;
  // int8 weight → Cast → Mul(scale): ORT folds these at load, so the Gemm runs in float on dequantized weights.
  const mul = (proto.graph!.node ?? []).find((n) => n.output![0] === gemm.input![1])!;
  assert.equal(mul.opType, 'Mul', 'the Gemm reads its weight scaled at load');
  const cast = (proto.graph!.node ?? []).find((n) => n.output![0] === mul.input![0])!;
  assert.equal(cast.opType, 'Cast');
  assert.ok(!(proto.graph!.node ?? []).some((n) => n.opType === 'QuantizeLinear' && n.input![0] === gemm.output![0]), 'its output is not quantized');
  assert.ok(!(proto.graph!.initializer ?? []).some((t) => t.dataType === DataType.INT32 && (t.name ?? '').startsWith(gemm.input![2]!)), 'its bias stays float');
  const q = (proto.graph!.initializer ?? []).find((t) => t.name === cast.input![0])!;
  assert.equal(q.dataType, DataType.INT8);
  const values = new Int8Array(q.rawData!.buffer, q.rawData!.byteOffset, q.rawData!.length);
  assert.equal(Math.max(...Array.from(values, Math.abs)), 127, 'weight-only weights use all 8 bits (no reduce_range)');
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

test('tensors in and out of an LSTM stay float; the model keeps fidelity', async () => {
  const { report, worst, proto } = await quantizeAndCompare('lstm', lstmModel(9));
  const lstm = (proto.graph!.node ?? []).find((n) => n.opType === 'LSTM')!;
  for (const t of lstm.input ?? []) assert.ok(!t.endsWith('_DequantizeLinear_Output'), `LSTM input ${t} is float`);
  assert.ok(report.float.some((f) => f.nodes.some((n) => /LSTM/.test(n))));
  assert.ok(report.weightOnly.some((w) => /recurrent/.test(w.reason)), JSON.stringify(report.weightOnly));
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

test('static mode reaches into If branches too (weights there quantized without calibration)', async () => {
  const { ifConvModel } = await import('../helpers/models.js');
  const { allGraphs } = await import('../../src/onnx/graph-walk.js');
  const g = ifConvModel(10);
  const src = join(dir, 'if-static.onnx');
  writeModel(g.model, src);
  // Calibration samples need a bool input: write them with a fixed cond (then-branch).
  const { encodeNpz } = await import('../helpers/models.js');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const samples = join(dir, 'if-static-calib');
  mkdirSync(samples, { recursive: true });
  for (let i = 0; i < 4; i++) {
    const x = new Float32Array(4 * 8 * 8).map((_, j) => Math.sin(i * 7 + j));
    writeFileSync(join(samples, `s${i}.npz`), encodeNpz({
      x: { descr: '<f4', shape: [1, 4, 8, 8], data: new Uint8Array(x.buffer) },
      cond: { descr: '|b1', shape: [], data: Uint8Array.of(1) },
    }));
  }
  const model = loadModel(src);
  const { proto, report } = await quantizeStatic(model, { calibrate: samples });
  const inner = allGraphs(proto).filter((s) => s.depth === 1).flatMap((s) => s.graph.initializer ?? []);
  assert.ok(inner.some((t) => t.dataType === DataType.INT8), 'branch weights are int8');
  assert.ok(report.weightOnly.some((w) => /in a subgraph/.test(w.reason)), JSON.stringify(report.weightOnly));
  const out = join(dir, 'if-static.q.onnx');
  saveModel(proto, out, { source: model });
  const session = await ort.InferenceSession.create(out);
  const y = await session.run({ x: new ort.Tensor('float32', new Float32Array(256).fill(0.3), [1, 4, 8, 8]), cond: new ort.Tensor('bool', Uint8Array.of(1), []) });
  assert.ok((y.y!.data as Float32Array).every(Number.isFinite));
  await session.release();
});

test('below opset 13 a Softmax whose rank a sample shows is safe no longer blocks the raise', async () => {
  const { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } = await import('../../src/onnx/build.js');
  const w = new Float32Array(32 * 40).map((_, i) => Math.sin(i * 1.3) * 0.3);
  // No shape on the Softmax input: only a run tells its rank (2, so axis 1 is the last axis).
  const graph = makeGraph({
    nodes: [makeNode('MatMul', ['x', 'w'], ['logits'], 'fc'), makeNode('Softmax', ['logits'], ['y'], 'softmax', { axis: 1 })],
    inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', 32])], outputs: [makeValueInfo('y', DataType.FLOAT)],
    initializers: [makeTensor('w', [32, 40], w)],
  });
  const g: GeneratedModel = { model: makeModel(graph, 11, 6), inputs: [{ name: 'x', shape: [1, 32], dtype: 'float32' }], outputs: [{ name: 'y', shape: [1, 40] }] };
  const { report, worst } = await quantizeAndCompare('softmax11', g, { minIntensity: 0 });
  assert.deepEqual(report.opset, { from: 11, to: 13 });
  assert.ok(report.perChannel);
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});

test('a Clip guarding a Log keeps its minimum; what feeds the Log is never 8-bit', async () => {
  const { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } = await import('../../src/onnx/build.js');
  // An audio front end in small: power spectrum -> filterbank MatMul -> Clip(1e-10) -> Log.
  const fb = new Float32Array(64 * 32).map((_, i) => (Math.abs(Math.sin(i * 0.7)) < 0.3 ? Math.abs(Math.cos(i)) : 0));
  const graph = makeGraph({
    nodes: [makeNode('Mul', ['x', 'x'], ['power'], 'square'), makeNode('MatMul', ['power', 'fb'], ['mel'], 'filterbank'),
      makeNode('Clip', ['mel', 'lo'], ['mel_safe'], 'guard'), makeNode('Log', ['mel_safe'], ['y'], 'log')],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 16, 64])], outputs: [makeValueInfo('y', DataType.FLOAT, [1, 16, 32])],
    initializers: [makeTensor('fb', [64, 32], fb), makeTensor('lo', [], Float32Array.of(1e-10))],
  });
  const g: GeneratedModel = { model: makeModel(graph, 13, 8), inputs: [{ name: 'x', shape: [1, 16, 64], dtype: 'float32' }], outputs: [{ name: 'y', shape: [1, 16, 32] }] };
  const { report, worst, proto } = await quantizeAndCompare('logguard', g, { minIntensity: 0 });
  assert.ok(report.weightOnly.some((w) => /Log\/Sqrt\/Pow\/Div/.test(w.reason) && w.nodes.some((n) => /filterbank/.test(n))), JSON.stringify(report.weightOnly));
  assert.ok(!(proto.graph!.node ?? []).some((n) => n.opType === 'QuantizeLinear'), 'no activation is quantized on the way to the Log');
  assert.ok(worst >= 0.999, `cosine ${worst}`);
});

test('Mul and Add by per-channel constants after a Conv fold into it (BatchNorm spelled out, as Paddle exports)', async () => {
  const { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } = await import('../../src/onnx/build.js');
  const w = new Float32Array(16 * 3 * 3 * 3).map((_, i) => Math.sin(i * 0.37) * 0.3);
  const w2 = new Float32Array(16 * 16 * 3 * 3).map((_, i) => Math.cos(i * 0.11) * 0.1);
  const graph = makeGraph({
    nodes: [
      makeNode('Conv', ['x', 'w'], ['c'], 'conv', { pads: [1, 1, 1, 1] }),
      makeNode('Mul', ['c', 'scale'], ['m'], 'bn_mul'),
      makeNode('Add', ['m', 'shift'], ['a'], 'bn_add'),
      makeNode('Relu', ['a'], ['r'], 'relu'),
      makeNode('Conv', ['r', 'w2'], ['y'], 'conv2', { pads: [1, 1, 1, 1] }),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 3, 16, 16])], outputs: [makeValueInfo('y', DataType.FLOAT, [1, 16, 16, 16])],
    initializers: [makeTensor('w', [16, 3, 3, 3], w), makeTensor('w2', [16, 16, 3, 3], w2),
      makeTensor('scale', [1, 16, 1, 1], new Float32Array(16).map((_, i) => 0.5 + i / 16)),
      makeTensor('shift', [16, 1, 1], new Float32Array(16).map((_, i) => (i - 8) / 20))],
  });
  const g: GeneratedModel = { model: makeModel(graph, 13, 8), inputs: [{ name: 'x', shape: [1, 3, 16, 16], dtype: 'float32' }], outputs: [{ name: 'y', shape: [1, 16, 16, 16] }] };
  const { report, worst, proto } = await quantizeAndCompare('affine', g, { minIntensity: 0 });
  assert.ok(report.notes.some((n) => /folded 2 Mul\/Add/.test(n)), report.notes.join(' | '));
  const kinds = (proto.graph!.node ?? []).map((n) => n.opType);
  assert.ok(!kinds.includes('Mul') && !kinds.includes('Add'), kinds.join(' '));
  assert.ok(!(proto.graph!.initializer ?? []).some((t) => t.name === 'scale' || t.name === 'shift' || t.name === 'w'), 'replaced constants are gone');
  assert.ok(worst >= 0.99, `cosine ${worst}`);
});
