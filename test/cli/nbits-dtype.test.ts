// The low-bit dtypes through the built CLI, as a user runs them: the files
// written under transformers.js's names, the options reaching the model
// (block size, symmetric, format, method), GPTQ from token-only samples on
// the KV-cache decoder fixture, and the usage and input errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/onnx/load.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { int64ToNumber } from '../../src/onnx/proto.js';
import { runCli } from '../helpers/cli.js';
import { writeModel } from '../helpers/models.js';
import { noMatMulWeights, tinyLm, writeTokenSamples } from '../helpers/lm-models.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir('oq-nbits-cli-');

interface Report { dtype: string; output: string; summary: string; fidelity?: { cosine: number }; error?: string }

const attr = (file: string, op: string, name: string): number | undefined => {
  const node = loadModel(file).proto.graph!.node!.find((n) => n.opType === op);
  const a = node?.attribute?.find((x) => x.name === name);
  return a?.i == null ? undefined : int64ToNumber(a.i);
};

test('--dtype q4,q2,bnb4 with --block-size 64 --sym: each file under its name, the options in the model', () => {
  const work = join(dir, 'options');
  mkdirSync(work);
  const model = join(work, 'lm.onnx');
  writeModel(tinyLm(1).model, model);
  const r = runCli([model, '--dtype', 'q4,q2,bnb4', '--block-size', '64', '--sym', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const reports = JSON.parse(r.stdout) as Report[];
  assert.deepEqual(reports.map((x) => x.dtype), ['q4', 'q2', 'bnb4']);
  assert.deepEqual(readdirSync(work).sort(), ['lm.onnx', 'lm_bnb4.onnx', 'lm_q2.onnx', 'lm_q4.onnx']);
  for (const x of reports) assert.ok(x.fidelity!.cosine > (x.dtype === 'q2' ? 0.7 : 0.97), `${x.dtype} cosine ${x.fidelity!.cosine}`);
  const q4 = join(work, 'lm_q4.onnx');
  assert.deepEqual([attr(q4, 'MatMulNBits', 'bits'), attr(q4, 'MatMulNBits', 'block_size'), attr(q4, 'MatMulNBits', 'accuracy_level')], [4, 64, 4]);
  assert.ok(!loadModel(q4).proto.graph!.initializer!.some((t) => /_zero_points$/.test(t.name ?? '')), '--sym: no zero points');
  assert.equal(attr(join(work, 'lm_q2.onnx'), 'MatMulNBits', 'bits'), 2);
  assert.equal(attr(join(work, 'lm_bnb4.onnx'), 'MatMulBnb4', 'block_size'), 64);
});

test('--format qdq writes INT4 DequantizeLinear; --algorithm hqq is reported', () => {
  const work = join(dir, 'qdq');
  mkdirSync(work);
  const model = join(work, 'lm.onnx');
  writeModel(tinyLm(2).model, model);
  const r = runCli([model, '--dtype', 'q4', '--format', 'qdq', '--algorithm', 'hqq', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [report] = JSON.parse(r.stdout) as Report[];
  assert.match(report!.summary, /DequantizeLinear INT4 \+ MatMul.*hqq/);
  const proto = loadModel(join(work, 'lm_q4.onnx')).proto;
  assert.ok(proto.graph!.initializer!.some((t) => t.dataType === DataType.UINT4));
  assert.equal(int64ToNumber(proto.opsetImport!.find((o) => !o.domain)!.version), 21);
});

test('q4 with --calibrate: GPTQ on token-only samples of the KV-cache decoder (mask, positions and the empty cache made to fit)', () => {
  const work = join(dir, 'gptq');
  mkdirSync(join(work, 'onnx'), { recursive: true });
  cpSync(fixturePath('gpt2-tiny', 'onnx', 'model.onnx'), join(work, 'onnx', 'model.onnx'));
  cpSync(fixturePath('gpt2-tiny', 'config.json'), join(work, 'config.json'));
  const samples = join(dir, 'tokens');
  writeTokenSamples(samples, 8, 32, 1024, 5);
  const r = runCli([work, '--dtype', 'q4', '--calibrate', samples, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const [report] = JSON.parse(r.stdout) as Report[];
  assert.match(report!.summary, /gptq.* on 8 calibration samples/);
  assert.ok(report!.fidelity!.cosine > 0.99, `cosine ${report!.fidelity!.cosine}`);
});

test('bad input: low-bit options without a low-bit dtype, a block size ORT cannot take, a model with nothing 4-bit applies to', () => {
  const work = join(dir, 'bad');
  mkdirSync(work);
  const model = join(work, 'lm.onnx');
  writeModel(tinyLm(3).model, model);
  const noDtype = runCli([model, '--block-size', '64', '--no-bench']);
  assert.equal(noDtype.code, 2);
  assert.match(noDtype.stderr, /--block-size applies to the 4-bit and 2-bit weights: add --dtype q4/);
  const int8Only = runCli([model, '--dtype', 'q8', '--sym']);
  assert.equal(int8Only.code, 2);
  assert.match(int8Only.stderr, /--sym applies to the 4-bit and 2-bit weights/);
  const block = runCli([model, '--dtype', 'q4', '--block-size', '48']);
  assert.notEqual(block.code, 0);
  assert.match(block.stderr, /--block-size 48: ONNX Runtime takes a power of two, 16 or more/);
  const conv = join(work, 'conv.onnx');
  writeModel(noMatMulWeights().model, conv);
  const nothing = runCli([conv, '--dtype', 'q4']);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /conv\.onnx: nothing 4-bit weights apply to: no MatMul with a constant 2-D float weight .*the model has .*Conv ×1/);
});
