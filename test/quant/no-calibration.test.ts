// Quantization without samples, on graphs from every exporter: a MatMul
// stack (dynamic), a CNN (weight-only Conv), an If whose branches hold Conv
// weights in Constant nodes, an LSTM, an FP16 transformer block, an embedding
// Gather, opsets 9 to 21. Each output loads in ONNX Runtime, gives finite
// outputs and keeps fidelity (cosine >= 0.99 unless a test says otherwise).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { allGraphs } from '../../src/onnx/graph-walk.js';
import { int64ToNumber } from '../../src/onnx/proto.js';
import { quantizeModel, type QuantizeOptions } from '../../src/quant/quantize-model.js';
import { convNet, embeddingModel, fp16TransformerBlock, ifConvModel, lstmModel, mlp, randomInputs, writeModel, type GeneratedModel } from '../helpers/models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { asFloat, cosine } from '../helpers/fidelity.js';

const dir = makeTempDir();


async function run(name: string, g: GeneratedModel, opts: QuantizeOptions = {}, seeds = [11, 12, 13, 14]) {
  const src = join(dir, `${name}.onnx`);
  writeModel(g.model, src);
  const model = loadModel(src);
  const outcome = await quantizeModel(model, opts);
  const out = join(dir, `${name}.q.onnx`);
  saveModel(outcome.proto, out, { source: model });
  const [a, b] = [await ort.InferenceSession.create(src), await ort.InferenceSession.create(out)];
  let worst = 1;
  for (const seed of seeds) {
    const feeds = randomInputs(g, seed);
    const [ra, rb] = [await a.run(feeds), await b.run(feeds)];
    for (const o of g.outputs) {
      assert.equal(rb[o.name]!.type, ra[o.name]!.type, `${o.name} keeps its type`);
      const qb = asFloat(rb[o.name]!);
      assert.ok(qb.every(Number.isFinite), `${o.name} is finite`);
      worst = Math.min(worst, cosine(asFloat(ra[o.name]!), qb));
    }
  }
  return { ...outcome, worst, out };
}

const ops = (proto: ReturnType<typeof loadModel>['proto']) => allGraphs(proto).flatMap((s) => (s.graph.node ?? []).map((n) => n.opType));

test('MatMul stack without samples: dynamic INT8 (DynamicQuantizeMatMul, bias fused)', async () => {
  const r = await run('mlp', mlp(1, { hidden: [128, 64], inFeatures: 64 }));
  assert.equal(r.report.mode, 'dynamic');
  assert.ok(r.report.quantized.MatMul! >= 2, JSON.stringify(r.report.quantized));
  const kinds = ops(r.proto);
  assert.ok(kinds.includes('DynamicQuantizeMatMul'));
  assert.ok(!kinds.includes('Add') || kinds.filter((k) => k === 'Add').length < 3, 'biases went into the fused op');
  assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
});

test('CNN without samples: Conv weights int8 (dequantized at load), never ConvInteger', async () => {
  const r = await run('cnn', convNet(2, { channels: [16, 32] }));
  assert.ok(!ops(r.proto).includes('ConvInteger'));
  assert.ok(r.report.weightOnly.some((g) => g.nodes.some((n) => /Conv/.test(n))));
  const int8 = (r.proto.graph!.initializer ?? []).filter((t) => t.dataType === DataType.INT8 && (t.dims ?? []).length === 4);
  assert.equal(int8.length, 2);
  assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
});

test('--weight-only: every weight int8, no integer kernels', async () => {
  const r = await run('wo', mlp(3), { weightOnly: true });
  assert.equal(r.report.mode, 'weight-only');
  assert.deepEqual(r.report.quantized, {});
  assert.ok(!ops(r.proto).includes('DynamicQuantizeMatMul'));
  assert.ok(r.worst >= 0.999, `cosine ${r.worst}`);
});

test('If branches: Constant-node weights inside and an outer-scope weight are quantized; names stay unique', async () => {
  const g = ifConvModel(4);
  const r = await run('if', g, {}, [1, 2, 3, 4, 5, 6]);
  const scopes = allGraphs(r.proto);
  const inner = scopes.filter((s) => s.depth === 1).flatMap((s) => s.graph.initializer ?? []);
  assert.ok(inner.filter((t) => t.dataType === DataType.INT8).length >= 2, 'branch weights are int8 initializers of the branches');
  assert.ok((r.proto.graph!.initializer ?? []).some((t) => t.dataType === DataType.INT8 && t.name!.startsWith('outer_w')), 'the outer weight is int8 where it lives');
  assert.ok(!scopes.some((s) => (s.graph.node ?? []).some((n) => n.opType === 'Constant')), 'no Constant weight left');
  const names = scopes.flatMap((s) => [...(s.graph.node ?? []).flatMap((n) => n.output ?? []), ...(s.graph.initializer ?? []).map((t) => t.name)]);
  assert.equal(new Set(names).size, names.length, 'value names unique across scopes');
  assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
});

test('LSTM: weights int8 at most, the recurrent math float, never broken', async () => {
  const r = await run('lstm-dyn', lstmModel(5));
  assert.ok(r.report.weightOnly.some((g) => /LSTM weights/.test(g.reason)));
  assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
});

test('FP16 transformer block: FP16 stays FP16, attention MatMuls of two activations stay float', async () => {
  const r = await run('fp16', fp16TransformerBlock(6));
  assert.equal(r.proto.graph!.input![0]!.type!.tensorType!.elemType, DataType.FLOAT16);
  assert.equal(r.proto.graph!.output![0]!.type!.tensorType!.elemType, DataType.FLOAT16);
  assert.ok(r.report.float.some((g) => /both inputs are activations/.test(g.reason)));
  const scales = (r.proto.graph!.initializer ?? []).filter((t) => (t.name ?? '').endsWith('_scale'));
  assert.ok(scales.length >= 6 && scales.every((t) => t.dataType === DataType.FLOAT16), 'scales in the model\'s float type');
  assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
});

test('FP32 transformer block: projections dynamic, LayerNormalization and Softmax untouched', async () => {
  const r = await run('fp32-block', fp16TransformerBlock(7, { fp16: false }));
  assert.ok(r.report.quantized.MatMul! >= 4);
  assert.ok(ops(r.proto).includes('LayerNormalization') && ops(r.proto).includes('Softmax'));
  assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
});

test('embedding Gather: the table becomes int8 rows (a 4x smaller table)', async () => {
  const r = await run('emb', embeddingModel(8));
  const table = (r.proto.graph!.initializer ?? []).find((t) => t.name === 'embedding_quantized');
  assert.ok(table && table.dataType === DataType.INT8);
  assert.ok(!(r.proto.graph!.initializer ?? []).some((t) => t.name === 'embedding'), 'the float table is gone');
  assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
});

for (const opset of [9, 11, 13, 17, 21]) {
  test(`opset ${opset} CNN without samples: valid, opset unchanged`, async () => {
    const r = await run(`opset${opset}`, convNet(9, { opset, irVersion: opset <= 9 ? 4 : opset <= 11 ? 6 : opset <= 17 ? 8 : 10 }));
    const version = int64ToNumber((r.proto.opsetImport ?? []).find((o) => !o.domain)!.version);
    assert.equal(version, opset, 'no DequantizeLinear needed: the opset stays');
    assert.ok(r.worst >= 0.99, `cosine ${r.worst}`);
  });
}

test('a node ONNX Runtime refuses in int8 goes back to float, with a warning naming it', async () => {
  // A float64 MatMul (sklearn-onnx exports use doubles): ORT has no double DynamicQuantizeMatMul.
  const { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } = await import('../../src/onnx/build.js');
  const { runCli } = await import('../helpers/cli.js');
  const w = new Float64Array(64 * 32).map((_, i) => Math.sin(i) * 0.2);
  const w2 = new Float32Array(32 * 64).map((_, i) => Math.cos(i) * 0.2);
  const g = makeGraph({
    nodes: [makeNode('MatMul', ['x', 'w'], ['h'], 'double_mm'), makeNode('Cast', ['h'], ['hf'], 'to_float', { to: DataType.FLOAT }),
      makeNode('MatMul', ['hf', 'w2'], ['y'], 'float_mm')],
    inputs: [makeValueInfo('x', DataType.DOUBLE, [4, 64])], outputs: [makeValueInfo('y', DataType.FLOAT, [4, 64])],
    initializers: [makeTensor('w', [64, 32], w), makeTensor('w2', [32, 64], w2)],
  });
  const src = join(dir, 'double.onnx');
  writeModel(makeModel(g), src);
  const out = join(dir, 'double.q.onnx');
  const r = runCli([src, '--int8', '-o', out, '--json', '--no-bench', '--no-fallback']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.deepEqual(result.fallbacks.map((f: { node: string }) => f.node), ['double_mm']);
  assert.match(r.stderr, /warning: node double_mm left in float/);
  assert.equal(result.quantized.MatMul, 1, 'the float32 MatMul is still quantized');
  const session = await ort.InferenceSession.create(out);
  const y = await session.run({ x: new ort.Tensor('float64', new Float64Array(256).fill(0.5), [4, 64]) });
  assert.ok((y.y!.data as Float32Array).every(Number.isFinite));
  await session.release();
});

test('dynamic mode keeps a filterbank MatMul that feeds a Log weight-only', async () => {
  const { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } = await import('../../src/onnx/build.js');
  const fb = new Float32Array(64 * 32).map((_, i) => (Math.abs(Math.sin(i * 0.7)) < 0.3 ? Math.abs(Math.cos(i)) : 0));
  const graph = makeGraph({
    nodes: [makeNode('Mul', ['x', 'x'], ['power'], 'square'), makeNode('MatMul', ['power', 'fb'], ['mel'], 'filterbank'),
      makeNode('Clip', ['mel', 'lo'], ['mel_safe'], 'guard'), makeNode('Log', ['mel_safe'], ['y'], 'log')],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 16, 64])], outputs: [makeValueInfo('y', DataType.FLOAT, [1, 16, 32])],
    initializers: [makeTensor('fb', [64, 32], fb), makeTensor('lo', [], Float32Array.of(1e-10))],
  });
  const r = await run('dyn-log', { model: makeModel(graph, 13, 8), inputs: [{ name: 'x', shape: [1, 16, 64], dtype: 'float32' }], outputs: [{ name: 'y', shape: [1, 16, 32] }] }, { minIntensity: 0 });
  assert.deepEqual(r.report.quantized, {});
  assert.ok(r.report.weightOnly.some((g) => /Log\/Sqrt/.test(g.reason)));
  assert.ok(r.worst >= 0.999, `cosine ${r.worst}`);
});

test('an input no tensor can be generated for: the output is checked to load, with a note saying so', async () => {
  const { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } = await import('../../src/onnx/build.js');
  const w = new Float32Array(32 * 64).map((_, i) => Math.sin(i) * 0.2);
  const graph = makeGraph({
    nodes: [makeNode('MatMul', ['x', 'w'], ['y'], 'mm'), makeNode('Identity', ['s'], ['s_out'], 'pass_string')],
    inputs: [makeValueInfo('x', DataType.FLOAT, [2, 32]), makeValueInfo('s', DataType.STRING, [2])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [2, 64]), makeValueInfo('s_out', DataType.STRING, [2])],
    initializers: [makeTensor('w', [32, 64], w)],
  });
  const src = join(dir, 'string-input.onnx');
  writeModel(makeModel(graph), src);
  const outcome = await quantizeModel(loadModel(src), {});
  assert.equal(outcome.report.quantized.MatMul, 1);
  assert.ok(outcome.report.notes.some((n) => /checked to load, not to run/.test(n) && /string/.test(n)), outcome.report.notes.join(' | '));
});

test('an input model ONNX Runtime cannot load is reported as such, not as a broken quantization', async () => {
  const { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } = await import('../../src/onnx/build.js');
  const { RuntimeFailure } = await import('../../src/errors.js');
  const w = new Float32Array(32 * 64).map((_, i) => Math.sin(i) * 0.2);
  const graph = makeGraph({
    // ORT has no uint16 BitShift kernel.
    nodes: [makeNode('MatMul', ['x', 'w'], ['y'], 'mm'), makeNode('BitShift', ['a', 'b'], ['c'], 'shift', { direction: 'LEFT' })],
    inputs: [makeValueInfo('x', DataType.FLOAT, [2, 32]), makeValueInfo('a', DataType.UINT16, [2]), makeValueInfo('b', DataType.UINT16, [2])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [2, 64]), makeValueInfo('c', DataType.UINT16, [2])],
    initializers: [makeTensor('w', [32, 64], w)],
  });
  const src = join(dir, 'unloadable.onnx');
  writeModel(makeModel(graph, 13), src);
  await assert.rejects(quantizeModel(loadModel(src), {}), (err: unknown) =>
    err instanceof RuntimeFailure && err.message.startsWith(src) && /cannot load the input model itself/.test(err.message) && /BitShift/.test(err.message));
});
