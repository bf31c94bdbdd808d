// Low-bit weights on whole models, through the library as the CLI calls it:
// which nodes are rewritten into what, that the float weights are gone, that
// ONNX Runtime runs the result close to the float model, and the errors for
// models and settings it cannot apply to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { DataType } from '../../src/onnx/dtypes.js';
import { loadModel } from '../../src/onnx/load.js';
import { isComputed } from '../../src/onnx/computed-tensor.js';
import { int64ToNumber, type ModelProto } from '../../src/onnx/proto.js';
import { saveModel } from '../../src/onnx/save.js';
import { quantizeModel } from '../../src/quant/quantize-model.js';
import type { NBitsOptions } from '../../src/quant/nbits/options.js';
import { QuantizeError } from '../../src/errors.js';
import { randomInputs, writeModel, type GeneratedModel } from '../helpers/models.js';
import { gemmMlp, noMatMulWeights, tinyLm, writeTokenSamples } from '../helpers/lm-models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { asFloat, cosine } from '../helpers/fidelity.js';

const dir = makeTempDir('oq-nbits-');

interface Result {
  proto: ModelProto;
  file: string;
  notes: string[];
  quantized: Record<string, number>;
  cosine: number;
  top1: number;
  mse: number;
}

const ops = (p: ModelProto): string[] => (p.graph!.node ?? []).map((n) => n.opType ?? '');

async function quantizeAndRun(name: string, g: GeneratedModel, nbits: NBitsOptions, extra: { calibrate?: string } = {}): Promise<Result> {
  const src = join(dir, `${name}.onnx`);
  writeModel(g.model, src);
  const model = loadModel(src);
  const outcome = await quantizeModel(model, { nbits, ...extra });
  const file = join(dir, `${name}.out.onnx`);
  saveModel(outcome.proto, file, { source: model });
  const [a, b] = [await ort.InferenceSession.create(src), await ort.InferenceSession.create(file)];
  let cos = 1;
  let agree = 0;
  let total = 0;
  let se = 0;
  let count = 0;
  for (const seed of [1, 2, 3]) {
    const feeds = randomInputs(g, seed);
    const [ya, yb] = [asFloat((await a.run(feeds)).logits!), asFloat((await b.run(feeds)).logits!)];
    assert.ok(yb.every(Number.isFinite), 'finite logits');
    cos = Math.min(cos, cosine(ya, yb));
    const vocab = g.outputs[0]!.shape[g.outputs[0]!.shape.length - 1]!;
    for (let t = 0; t < ya.length / vocab; t++) {
      const row = (y: Float32Array) => y.subarray(t * vocab, (t + 1) * vocab);
      const argmax = (r: Float32Array) => r.indexOf(Math.max(...r));
      if (argmax(row(ya)) === argmax(row(yb))) agree++;
      total++;
    }
    for (let i = 0; i < ya.length; i++) se += (ya[i]! - yb[i]!) ** 2;
    count += ya.length;
  }
  await a.release();
  await b.release();
  return { proto: outcome.proto, file, notes: outcome.report.notes, quantized: outcome.report.quantized, cosine: cos, top1: agree / total, mse: se / count };
}

const initializerTypes = (p: ModelProto): Map<string, number> => new Map((p.graph!.initializer ?? []).map((t) => [t.name ?? '', t.dataType ?? 0]));

test('q4 (MatMulNBits, block 32, symmetric): every MatMul with a weight rewritten, the tied head read through its Transpose, K 100 padded, float weights gone', async () => {
  const g = tinyLm(1);
  const r = await quantizeAndRun('q4', g, { bits: 4, symmetric: true });
  assert.deepEqual(r.quantized, { MatMulNBits: 5 });
  assert.equal(ops(r.proto).filter((o) => o === 'MatMulNBits').length, 5);
  assert.ok(!ops(r.proto).includes('MatMul') && !ops(r.proto).includes('Transpose'), 'no float MatMul or head Transpose left');
  const types = initializerTypes(r.proto);
  for (const w of ['h0.fc1.weight', 'h0.fc2.weight', 'h1.fc1.weight', 'h1.fc2.weight']) assert.ok(!types.has(w), `${w} removed`);
  assert.equal(types.get('wte'), DataType.FLOAT, 'the table stays float for the embedding lookup');
  const fc2 = r.proto.graph!.node!.find((n) => n.name === 'h0_fc2')!;
  const attr = (n: string) => int64ToNumber(fc2.attribute!.find((a) => a.name === n)!.i!);
  assert.deepEqual([attr('K'), attr('N'), attr('bits'), attr('block_size'), attr('accuracy_level')], [100, 64, 4, 32, 4]);
  assert.ok(!(r.proto.graph!.initializer ?? []).some((t) => /_zero_points/.test(t.name ?? '')), 'symmetric: no zero points');
  assert.ok(r.notes.some((n) => /not a multiple of the block size 32/.test(n) && /h0_fc2/.test(n)), 'the padding is reported');
  assert.ok(r.cosine > 0.98, `cosine ${r.cosine}`);
});

test('--embeddings: the lookup becomes GatherBlockQuantized and, with the tied head quantized too, no float table is left', async () => {
  const g = tinyLm(2);
  const r = await quantizeAndRun('q4emb', g, { bits: 4, embeddings: true, symmetric: false });
  assert.deepEqual(r.quantized, { GatherBlockQuantized: 1, MatMulNBits: 5 });
  const types = initializerTypes(r.proto);
  assert.ok(!types.has('wte'), 'float table removed');
  const floatBytes = (r.proto.graph!.initializer ?? []).filter((t) => t.dataType === DataType.FLOAT && (t.dims ?? []).length === 2 && !/_scales(_\d+)?$/.test(t.name ?? ''));
  assert.deepEqual(floatBytes.map((t) => t.name), [], 'no 2-D float weights remain');
  assert.ok(r.cosine > 0.98, `cosine ${r.cosine}`);
  const original = statSync(join(dir, 'q4emb.onnx')).size;
  assert.ok(statSync(r.file).size < original / 3, `file ${statSync(r.file).size} vs ${original}`);
});

test('q2 (2-bit MatMulNBits) runs in ONNX Runtime 1.30 on the CPU, coarser than 4-bit', async () => {
  const g = tinyLm(3);
  const q4 = await quantizeAndRun('q4ref', g, { bits: 4, symmetric: false });
  const q2 = await quantizeAndRun('q2', g, { bits: 2, symmetric: false });
  assert.deepEqual(q2.quantized, { MatMulNBits: 5 });
  const bits = int64ToNumber(q2.proto.graph!.node!.find((n) => n.opType === 'MatMulNBits')!.attribute!.find((a) => a.name === 'bits')!.i!);
  assert.equal(bits, 2);
  assert.ok(q2.cosine > 0.7, `q2 cosine ${q2.cosine}`);
  assert.ok(q2.mse > q4.mse, `2-bit error ${q2.mse} above 4-bit ${q4.mse}`);
});

for (const type of ['nf4', 'fp4'] as const) {
  test(`bnb4 ${type}: MatMulBnb4 with block 64 by default, runs close to float`, async () => {
    const r = await quantizeAndRun(`bnb4-${type}`, tinyLm(4), { format: 'bnb4', bnb4Type: type });
    assert.deepEqual(r.quantized, { MatMulBnb4: 5 });
    const node = r.proto.graph!.node!.find((n) => n.opType === 'MatMulBnb4')!;
    const attr = (n: string) => int64ToNumber(node.attribute!.find((a) => a.name === n)!.i!);
    assert.equal(attr('block_size'), 64);
    assert.equal(attr('quant_type'), type === 'nf4' ? 1 : 0);
    assert.ok(r.cosine > 0.97, `cosine ${r.cosine}`);
  });
}

test('--format qdq: blocked INT4 DequantizeLinear + MatMul at opset 21 (raised from 17), no sub-byte graph output', async () => {
  for (const symmetric of [true, false]) {
    const r = await quantizeAndRun(`qdq-${symmetric}`, tinyLm(5), { format: 'qdq', symmetric });
    assert.equal(int64ToNumber(r.proto.opsetImport!.find((o) => !o.domain)!.version), 21);
    assert.equal(ops(r.proto).filter((o) => o === 'DequantizeLinear').length, 5);
    const types = initializerTypes(r.proto);
    assert.equal([...types.values()].filter((t) => t === (symmetric ? DataType.INT4 : DataType.UINT4)).length, symmetric ? 5 : 10);
    for (const out of r.proto.graph!.output ?? []) assert.equal(out.type?.tensorType?.elemType, DataType.FLOAT);
    assert.ok(r.cosine > 0.98, `cosine ${r.cosine}`);
  }
});

test('Gemm (transB 1 with a bias, transB 0 without): MatMulNBits takes the bias as an input; bnb4 and qdq add it after', async () => {
  const g = gemmMlp(11);
  const q4 = await quantizeAndRun('gemm-q4', g, { bits: 4 });
  assert.deepEqual(q4.quantized, { MatMulNBits: 2 });
  const fc1 = q4.proto.graph!.node!.find((n) => n.name === 'fc1')!;
  assert.deepEqual(fc1.input, ['x', fc1.input![1], fc1.input![2], fc1.input![3], '', 'b1'], 'bias as MatMulNBits input 5');
  const fc2 = q4.proto.graph!.node!.find((n) => n.name === 'fc2')!;
  assert.equal(fc2.input!.length, 4, 'no bias: A, B, scales, zero points');
  assert.ok(q4.cosine > 0.99, `q4 cosine ${q4.cosine}`);
  for (const nbits of [{ format: 'bnb4' as const }, { format: 'qdq' as const }]) {
    const r = await quantizeAndRun(`gemm-${nbits.format}`, g, nbits);
    assert.equal(ops(r.proto).filter((o) => o === 'Add').length, 1, `${nbits.format}: one Add for fc1's bias`);
    assert.ok(!ops(r.proto).includes('Gemm'));
    assert.ok(r.cosine > 0.98, `${nbits.format} cosine ${r.cosine}`);
  }
});

test('FP16 model: MatMulNBits with float16 scales, logits stay float16', async () => {
  const g = tinyLm(6, { fp16: true });
  const r = await quantizeAndRun('q4f16', g, { bits: 4 });
  assert.deepEqual(r.quantized, { MatMulNBits: 5 });
  const scales = (r.proto.graph!.initializer ?? []).filter((t) => (t.name ?? '').endsWith('_scales'));
  assert.ok(scales.length === 5 && scales.every((t) => t.dataType === DataType.FLOAT16));
  assert.equal(r.proto.graph!.output![0]!.type!.tensorType!.elemType, DataType.FLOAT16);
  assert.ok(r.cosine > 0.98, `cosine ${r.cosine}`);
});

test('HQQ-style (data-free): packed integer zero points, lower error than round to nearest with zero points', async () => {
  const g = tinyLm(7, { tied: false });
  const rtn = await quantizeAndRun('rtn-asym', g, { bits: 4, symmetric: false });
  const hqq = await quantizeAndRun('hqq', g, { bits: 4, algorithm: 'hqq' });
  const zps = (hqq.proto.graph!.initializer ?? []).filter((t) => (t.name ?? '').endsWith('_zero_points'));
  assert.ok(zps.length === 5 && zps.every((t) => t.dataType === DataType.UINT8));
  assert.ok(hqq.mse < rtn.mse, `HQQ logits error ${hqq.mse} vs RTN ${rtn.mse}`);
});

test('GPTQ with calibration samples: lower logits error than round to nearest on inputs like the samples', async () => {
  const g = tinyLm(8, { tied: false, hidden: 96, ffn: 192 });
  const samples = join(dir, 'calib');
  writeTokenSamples(samples, 24, 12, 1000, 100);
  const rtn = await quantizeAndRun('gptq-rtn', g, { bits: 4 });
  const gptq = await quantizeAndRun('gptq', g, { bits: 4 }, { calibrate: samples });
  assert.ok(gptq.mse < 0.9 * rtn.mse, `GPTQ logits error ${gptq.mse} vs RTN ${rtn.mse}`);
});

test('weights are computed as the model is saved, each group once', async () => {
  const g = tinyLm(9);
  const src = join(dir, 'lazy.onnx');
  writeModel(g.model, src);
  const model = loadModel(src);
  let computed = 0;
  const outcome = await quantizeModel(model, { nbits: { bits: 4, symmetric: false, onProgress: () => computed++ } });
  // The runtime check computed them once (in memory); saving computes them again, one weight at a time.
  const after = computed;
  const lazy = (outcome.proto.graph!.initializer ?? []).filter(isComputed);
  assert.equal(lazy.length, 15, 'B, scales and zero points of 5 weights are computed tensors');
  saveModel(outcome.proto, join(dir, 'lazy.out.onnx'), { source: model, externalData: true });
  assert.equal(computed - after, 5, 'each weight computed once for its three tensors');
});

test('a model with nothing low-bit weights apply to: an error naming the ops it has', async () => {
  const src = join(dir, 'conv.onnx');
  writeModel(noMatMulWeights().model, src);
  await assert.rejects(quantizeModel(loadModel(src), { nbits: { bits: 4 } }), (err: Error) => {
    assert.ok(err instanceof QuantizeError && err.exitCode === 1);
    assert.match(err.message, /conv\.onnx: nothing 4-bit weights apply to: no MatMul with a constant 2-D float weight/);
    assert.match(err.message, /both inputs are computed/);
    assert.match(err.message, /Conv ×1/);
    return true;
  });
});

test('settings ONNX Runtime cannot take are usage errors before any work', async () => {
  const src = join(dir, 'settings.onnx');
  writeModel(tinyLm(10).model, src);
  const model = loadModel(src);
  const cases: Array<[NBitsOptions, RegExp]> = [
    [{ blockSize: 48 }, /--block-size 48: .*power of two/],
    [{ blockSize: 8 }, /--block-size 8/],
    [{ algorithm: 'gptq' }, /gptq needs calibration samples/],
    [{ format: 'qdq', bits: 2 }, /2-bit weights are written as MatMulNBits only/],
    [{ format: 'bnb4', algorithm: 'hqq' }, /bnb4 levels are fixed/],
    [{ accuracyLevel: 7 }, /--accuracy-level 7/],
    [{ algorithm: 'hqq', symmetric: true }, /hqq fits a zero point per block/],
    [{ format: 'qdq', accuracyLevel: 4 }, /accuracy_level|accuracy-level is an attribute of MatMulNBits/],
  ];
  for (const [nbits, message] of cases) {
    await assert.rejects(quantizeModel(model, { nbits }), (err: Error) => err instanceof QuantizeError && err.exitCode === 2 && message.test(err.message));
  }
});
