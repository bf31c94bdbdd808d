// The README's main job, as a user runs it: quantize the bundled digits model
// with its calibration samples, then check the written file directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { loadModel } from '../../src/onnx/load.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { tensorShape } from '../../src/onnx/tensor-data.js';

const dir = makeTempDir();

/** The CPU block of the benchmark that `quantize --json` ends with. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const cpu = (result: any) => result.bench.providers.find((p: { name: string }) => p.name === 'cpu');
const digits = fixturePath('digits', 'model.onnx');
const calib = fixturePath('digits', 'calib');
const evalSet = fixturePath('digits', 'eval');

test('quantize the bundled example: int8 per-channel weights, <= 0.3x size, accuracy within 1 point', async () => {
  const out = join(dir, 'digits.int8.onnx');
  const r = runCli([digits, '--int8', '--calibrate', calib, '--eval', evalSet, '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.output, out);
  assert.ok(existsSync(out));
  assert.ok(statSync(out).size <= 0.3 * statSync(digits).size, `size ${statSync(out).size} vs ${statSync(digits).size}`);
  assert.equal(cpu(result).accuracy.labeled, 360);
  assert.ok(cpu(result).accuracy.drop <= 1, `accuracy drop ${cpu(result).accuracy.drop} points`);
  assert.ok(cpu(result).outputs[0].cosine >= 0.99);

  const session = await ort.InferenceSession.create(out);
  assert.deepEqual(session.outputNames, ['logits']);
  await session.release();
  const model = loadModel(out);
  const g = model.proto.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name, t]));
  const int8Weights = (g.initializer ?? []).filter((t) => t.dataType === DataType.INT8 && tensorShape(t).length >= 2);
  assert.equal(int8Weights.length, 4, 'two Conv and two Gemm weights are int8');
  assert.ok(!(g.initializer ?? []).some((t) => t.dataType === DataType.FLOAT && tensorShape(t).reduce((a, b) => a * b, 1) > 128), 'no float weight is left (only scales and biases)');
  // Kernel-quantized weights sit behind DequantizeLinear; the cost rule's weight-only ones behind Cast + Mul.
  const weightDq = (g.node ?? []).filter((n) => n.opType === 'DequantizeLinear' && inits.get(n.input![0]!)?.dataType === DataType.INT8);
  assert.ok(weightDq.length >= 2, 'conv2 and fc1 run integer kernels');
  for (const dq of weightDq) {
    const w = inits.get(dq.input![0]!)!;
    const axis = (dq.attribute ?? []).find((a) => a.name === 'axis');
    assert.ok(axis, `${w.name} is per channel`);
    const channels = tensorShape(w)[Number(axis.i)]!;
    assert.equal(tensorShape(inits.get(dq.input![1]!)!)[0], channels, 'one scale per channel');
  }
  assert.ok(!(g.node ?? []).some((n) => n.opType === 'BatchNormalization'));
  assert.ok((model.proto.metadataProps ?? []).some((e) => e.key === 'onnx-quantize'));
  assert.equal(g.output![0]!.name, 'logits');
  assert.equal(g.output![0]!.type!.tensorType!.elemType, DataType.FLOAT);
});

test('the text report shows size, fidelity, accuracy and latency', () => {
  const out = join(dir, 'digits.text.onnx');
  const r = runCli([digits, '--int8', '--calibrate', fixturePath('digits', 'calib.npy'), '--eval', evalSet, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /static INT8/);
  assert.match(r.stdout, /folded 2 BatchNormalization/);
  assert.match(r.stdout, /cosine/);
  assert.match(r.stdout, /top-1 accuracy/);
  assert.match(r.stdout, /speed-up/);
});

test('the default output name is derived, and an existing file is not overwritten without --force', () => {
  const local = join(dir, 'm.onnx');
  copyFileSync(digits, local);
  const first = runCli([local, '--int8', '--calibrate', calib, '--no-bench']);
  assert.equal(first.code, 0, first.stderr);
  assert.ok(existsSync(join(dir, 'm.int8.onnx')));
  const again = runCli([local, '--int8', '--calibrate', calib, '--no-bench']);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /exists.*--force/);
  assert.equal(runCli([local, '--int8', '--calibrate', calib, '--no-bench', '--force']).code, 0);
});

test('usage and sample errors are clean', () => {
  const out = join(dir, 'x.onnx');
  const badMethod = runCli([digits, '--int8', '--calibrate', calib, '--method', 'magic', '-o', out]);
  assert.equal(badMethod.code, 2);
  assert.match(badMethod.stderr, /--method/);
  const wrongShape = runCli([digits, '--int8', '--calibrate', fixturePath('..', 'test', 'data', 'samples', 'mismatch'), '-o', out]);
  assert.equal(wrongShape.code, 1);
  assert.equal(wrongShape.stderr.trim().split('\n').length, 1, wrongShape.stderr);
  assert.match(wrongShape.stderr, /expected/);
  assert.ok(!existsSync(out), 'nothing written on failure');
});

test('--max-accuracy-drop passes when accuracy holds; --min-speedup beyond reach exits 3 with one line', () => {
  const out = join(dir, 'gate.onnx');
  const ok = runCli([digits, '--int8', '--calibrate', calib, '--eval', evalSet, '-o', out, '--max-accuracy-drop', '1', '--no-memory']);
  assert.equal(ok.code, 0, ok.stderr);
  const slow = runCli([digits, '--int8', '--calibrate', calib, '--eval', evalSet, '-o', join(dir, 'gate2.onnx'), '--min-speedup', '100', '--no-memory']);
  assert.equal(slow.code, 3, slow.stderr);
  assert.match(slow.stderr, /speed-up/);
  // Per-tensor weights with 8 calibration samples of another distribution still load; a gate of -1 is refused as usage.
  assert.equal(runCli([digits, '--int8', '--calibrate', calib, '-o', join(dir, 'g2.onnx'), '--max-accuracy-drop', '-1']).code, 2);
});

test('without --calibrate: dynamic INT8, and the report says so', () => {
  const out = join(dir, 'dynamic.onnx');
  const r = runCli([digits, '--int8', '--eval', evalSet, '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.mode, 'dynamic');
  assert.match(result.modeReason, /no --calibrate/);
  assert.ok(result.weightOnly.some((g: { nodes: string[] }) => g.nodes.some((n) => /conv/.test(n))), 'Conv weights are weight-only');
  assert.ok(cpu(result).accuracy.drop <= 1);
  const text = runCli([digits, '--weight-only', '-o', join(dir, 'wo.onnx'), '--no-bench']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /mode: weight-only INT8/);
});

test('percentile and entropy calibration keep the bundled example within a point', () => {
  for (const method of ['percentile', 'entropy']) {
    const r = runCli([digits, '--int8', '--calibrate', calib, '--eval', evalSet, '-o', join(dir, `${method}.onnx`), '--method', method, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout);
    assert.match(result.modeReason, new RegExp(method));
    assert.ok(cpu(result).accuracy.drop <= 1, `${method}: drop ${cpu(result).accuracy.drop}`);
    assert.ok(cpu(result).outputs[0].cosine >= 0.99, `${method}: cosine ${cpu(result).outputs[0].cosine}`);
  }
});

test('several models in one command: each written beside its input; a failure is reported and the rest go on', () => {
  const a = join(dir, 'many-a.onnx');
  const b = join(dir, 'many-b.onnx');
  copyFileSync(digits, a);
  copyFileSync(digits, b);
  const broken = join(dir, 'many-broken.onnx');
  writeFileSync(broken, 'not a model');
  const r = runCli([a, broken, b, '--int8', '--no-bench', '--json', '--jobs', '1']);
  assert.equal(r.code, 1, 'the worst exit code');
  // NDJSON: one line per model in the order they finish (one job at a time: the order given), then the summary.
  const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(results.length, 4);
  assert.equal(results[0].output, join(dir, 'many-a.int8.onnx'));
  assert.match(results[1].error, /not an ONNX model|text file/);
  assert.equal(results[2].output, join(dir, 'many-b.int8.onnx'));
  assert.equal(results[3].type, 'summary');
  assert.ok(existsSync(join(dir, 'many-a.int8.onnx')) && existsSync(join(dir, 'many-b.int8.onnx')));
  assert.match(r.stderr, /many-broken\.onnx/);
  assert.equal(runCli([a, b, '--int8', '-o', join(dir, 'x.onnx')]).code, 2, '-o with several models is a usage error');
});
