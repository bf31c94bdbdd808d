// The float16 converter, checked by running what it writes: the fixture
// transformers (a GPT-2-style decoder with a KV cache, a BERT-style encoder)
// against float32, padded attention masks (the mask sentinel must not turn
// into NaN), shape arithmetic kept exact, a value past float16's range kept
// float32 when measured, float16 graph inputs on request, and the block list
// checked against ONNX Runtime's kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { toFloat16, convertToFloat16 } from '../../src/quant/fp16/index.js';
import { OP_PROBES, probeOp } from '../../src/quant/fp16/kernel-probe.js';
import { CPU_NO_FLOAT16, NO_FLOAT16 } from '../../src/quant/fp16/kernels.js';
import { generatedFeeds } from '../../src/data/generated-feeds.js';
import { inputSpecs } from '../../src/quant/prepare.js';
import { ifConvModel, randomInputs, writeModel } from '../helpers/models.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { asFloat, cosine } from '../helpers/fidelity.js';

const dir = makeTempDir();

async function runBoth(a: string, b: string, feeds: Record<string, ort.Tensor>, options: ort.InferenceSession.SessionOptions = {}) {
  const [sa, sb] = [await ort.InferenceSession.create(a, options), await ort.InferenceSession.create(b, options)];
  try {
    return { a: await sa.run(feeds), b: await sb.run(feeds) };
  } finally {
    await sa.release();
    await sb.release();
  }
}

function decoderFeeds(ids: number[], mask: number[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
    attention_mask: new ort.Tensor('int64', BigInt64Array.from(mask.map(BigInt)), [1, mask.length]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(i))), [1, ids.length]),
  };
  for (let i = 0; i < 4; i++) {
    for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 32]);
  }
  return feeds;
}

test('GPT-2-style decoder with KV cache: float16 weights and math, float32 inputs/outputs, logits match float32', async () => {
  const src = fixturePath('gpt2-tiny', 'onnx', 'model.onnx');
  const model = loadModel(src);
  const feeds = generatedFeeds(inputSpecs(model.proto), { vocabSize: 1024 });
  const o = await toFloat16(model, { feeds });
  const out = join(dir, 'gpt2_fp16.onnx');
  saveModel(o.proto, out, { source: model });
  model.close();
  // Weights are float16: no float32 initializer of weight size is left.
  const written = loadModel(out);
  const big32 = (written.proto.graph!.initializer ?? []).filter((t) => t.dataType === DataType.FLOAT && (t.rawData?.length ?? 0) >= 256);
  assert.deepEqual(big32.map((t) => t.name), []);
  assert.ok((written.proto.graph!.input ?? []).every((v) => v.type?.tensorType?.elemType !== DataType.FLOAT16), 'inputs stay float32');
  written.close();
  assert.ok(o.float16Nodes > 100, `most nodes run float16 (${o.float16Nodes})`);
  // Casts once per value: the 8 KV inputs and 9 outputs, nothing per use.
  assert.ok(o.casts <= 17, `casts ${o.casts}`);
  // Left-padded prompt: the padded positions are fully masked (the sentinel
  // clamped to -10000 keeps them finite); the real positions match float32.
  const ids = [0, 0, 11, 300, 25, 700, 42, 9];
  const { a, b } = await runBoth(src, out, decoderFeeds(ids, [0, 0, 1, 1, 1, 1, 1, 1]));
  const la = asFloat(a.logits!);
  const lb = asFloat(b.logits!);
  assert.equal(b.logits!.type, 'float32');
  assert.ok(lb.every(Number.isFinite), 'no NaN/Inf, padded rows included');
  const real = (x: Float32Array) => x.slice(2 * 1024);
  assert.ok(cosine(real(la), real(lb)) > 0.9999, `logits cosine ${cosine(real(la), real(lb))}`);
});

test('BERT-style encoder (LayerNormalization, Erf GELU, 1e-12 epsilon): float16 output matches float32', async () => {
  const src = fixturePath('bert-tiny', 'onnx', 'model.onnx');
  const model = loadModel(src);
  const o = convertToFloat16(model);
  const out = join(dir, 'bert_fp16.onnx');
  saveModel(o.proto, out, { source: model });
  model.close();
  const n = 12;
  const feeds = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 97) % 1000)), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [1, n]),
  };
  const { a, b } = await runBoth(src, out, feeds);
  assert.ok(cosine(asFloat(a.logits!), asFloat(b.logits!)) > 0.9999);
});

test('shape arithmetic (Shape → Cast → Mul → Cast → Reshape) stays float32 and exact', async () => {
  const w = Float32Array.from({ length: 16 }, (_, i) => (i % 5) / 10 - 0.2);
  const graph = makeGraph({
    nodes: [
      makeNode('Shape', ['x'], ['s'], 'shape'),
      makeNode('Cast', ['s'], ['sf'], 'to_float', { to: DataType.FLOAT }),
      makeNode('Mul', ['sf', 'factor'], ['sm'], 'scale_shape'),
      makeNode('Cast', ['sm'], ['si'], 'to_int', { to: DataType.INT64 }),
      makeNode('Reshape', ['x', 'si'], ['r'], 'reshape'),
      makeNode('MatMul', ['r', 'w'], ['y'], 'matmul'),
    ],
    inputs: [makeValueInfo('x', DataType.FLOAT, ['n', 8])],
    outputs: [makeValueInfo('y', DataType.FLOAT, null as never)],
    initializers: [makeTensor('factor', [2], Float32Array.of(2, 0.5)), makeTensor('w', [4, 4], w)],
  });
  const src = join(dir, 'shape.onnx');
  writeModel(makeModel(graph, 17), src);
  const model = loadModel(src);
  const o = convertToFloat16(model);
  const kept = o.float32.get('shape arithmetic (ends in integers)') ?? [];
  assert.deepEqual(kept.sort(), ['scale_shape', 'to_float']);
  const out = join(dir, 'shape_fp16.onnx');
  saveModel(o.proto, out, { source: model });
  const x = Float32Array.from({ length: 16 }, (_, i) => i / 16);
  const { a, b } = await runBoth(src, out, { x: new ort.Tensor('float32', x, [2, 8]) });
  assert.deepEqual(b.y!.dims, a.y!.dims);
  assert.ok(cosine(asFloat(a.y!), asFloat(b.y!)) > 0.9999);
});

test('a value past float16\'s range: measured on the input and kept float32; unmeasured it overflows', async () => {
  // h = x @ W near 1e5: fine in float32, Inf in float16. h is a graph output
  // and the graph outputs float16 (keepIoTypes off), so ONNX Runtime, which
  // runs MatMul in float32 behind its own Casts on CPU, really holds h in
  // float16 when the converter made it a float16 value. (0x4600 is 6 in float16.)
  const w = new Float32Array(64).fill(2000);
  const graph = makeGraph({
    nodes: [makeNode('MatMul', ['x', 'w'], ['h'], 'big'), makeNode('Mul', ['h', 'k'], ['y'], 'shrink')],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, 8])],
    outputs: [makeValueInfo('h', DataType.FLOAT, [1, 8]), makeValueInfo('y', DataType.FLOAT, [1, 8])],
    initializers: [makeTensor('w', [8, 8], w), makeTensor('k', [], Float32Array.of(1e-3))],
  });
  const src = join(dir, 'overflow.onnx');
  writeModel(makeModel(graph, 17), src);
  const model = loadModel(src);
  const x = new ort.Tensor('float32', new Float32Array(8).fill(6), [1, 8]);
  const measured = await toFloat16(model, { feeds: { x }, keepIoTypes: false });
  assert.ok([...measured.float32.values()].flat().includes('big'), 'the MatMul stays float32');
  const blind = convertToFloat16(model, { keepIoTypes: false });
  for (const [name, o] of [['measured', measured], ['blind', blind]] as const) {
    const out = join(dir, `overflow_${name}.onnx`);
    saveModel(o.proto, out, { source: model });
    const session = await ort.InferenceSession.create(out);
    const h = asFloat((await session.run({ x: new ort.Tensor('float16', new Uint16Array(8).fill(0x4600), [1, 8]) })).h!);
    await session.release();
    if (name === 'measured') assert.ok(h.every((v) => v === 96000), `float32 h: ${h[0]}`);
    else assert.ok(h.every((v) => v === Infinity), 'without the measurement h overflows (so the test would catch a no-op)');
  }
});

test('--no-keep-io-types: float16 graph inputs and outputs', async () => {
  const model = loadModel(fixturePath('bert-tiny', 'onnx', 'model.onnx'));
  const o = convertToFloat16(model, { keepIoTypes: false });
  const out = join(dir, 'bert_io16.onnx');
  saveModel(o.proto, out, { source: model });
  model.close();
  const session = await ort.InferenceSession.create(out);
  const n = 5;
  const r = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from([1n, 2n, 3n, 4n, 5n]), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(n), [1, n]),
  });
  assert.equal(r.logits!.type, 'float16');
  await session.release();
});

test('block lists match ONNX Runtime\'s CPU float16 kernels (one-node probes)', async () => {
  const mismatches: string[] = [];
  for (const p of OP_PROBES) {
    const r = await probeOp(p);
    if (r.kernel === 'cast' && !CPU_NO_FLOAT16.has(p.op)) mismatches.push(`${p.op}: ORT casts it, not in CPU_NO_FLOAT16`);
    if (r.kernel === 'float16' && CPU_NO_FLOAT16.has(p.op)) mismatches.push(`${p.op}: ORT has a float16 kernel, listed in CPU_NO_FLOAT16`);
    if (r.kernel === 'error' && !NO_FLOAT16.has(p.op)) mismatches.push(`${p.op}: refused in float16 (${r.detail}), not in NO_FLOAT16`);
  }
  assert.deepEqual(mismatches, []);
});

test('If branches (a merged decoder\'s layout): bodies convert with float32 boundaries, outer weights read inside them', async () => {
  const g = ifConvModel(3);
  const src = join(dir, 'if.onnx');
  writeModel(g.model, src);
  const model = loadModel(src);
  const o = convertToFloat16(model);
  assert.ok(o.float16Nodes > 0);
  assert.equal(o.float32.get('control flow: its body converts with float32 inputs and outputs')?.length, 1);
  const out = join(dir, 'if_fp16.onnx');
  saveModel(o.proto, out, { source: model });
  for (const seed of [1, 2]) {
    const { a, b } = await runBoth(src, out, randomInputs(g, seed));
    assert.ok(cosine(asFloat(a.y!), asFloat(b.y!)) > 0.9999);
  }
});
