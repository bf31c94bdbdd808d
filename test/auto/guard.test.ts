// The default's safety net: a model whose static INT8 form is measurably
// slower than FP32 (a 1×1 Conv on one 256×256 channel: about 2.5× slower)
// is written weight-only instead, with the reason and both measurements;
// --no-fallback keeps the static model. (--min-intensity 0: the cost rule alone would
// already keep this Conv's math float.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../src/onnx/load.js';
import { writeModel } from '../helpers/models.js';
import { slowConv } from '../helpers/planted-models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const dir = makeTempDir('oq-guard-');
const slow = slowConv();
const model = join(dir, 'slow.onnx');
writeModel(slow.model, model);
slow.writeSamples(join(dir, 'calib'), 4, 1);

const ops = (file: string): string[] => {
  const m = loadModel(file);
  try {
    return (m.proto.graph!.node ?? []).map((n) => n.opType ?? '');
  } finally {
    m.close();
  }
};

test('static INT8 measured slower than FP32 is written weight-only, with the message and both measurements', () => {
  const out = join(dir, 'slow.int8.onnx');
  const r = runCli([model, '--calibrate', join(dir, 'calib'), '--threads', '1', '--min-intensity', '0', '-o', out, '--no-bench', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { mode: string; guard: { chosen: string; reason: string; measured: Array<{ candidate: string; speedup: number }> } };
  assert.equal(result.guard.chosen, 'weight-only', result.guard.reason);
  assert.equal(result.mode, 'weight-only');
  const asked = result.guard.measured.find((m) => m.candidate === 'as asked')!;
  const written = result.guard.measured.find((m) => m.candidate === 'weight-only')!;
  assert.ok(asked.speedup < 1 && written.speedup > asked.speedup, JSON.stringify(result.guard.measured));
  assert.match(result.guard.reason, /measured slower than the original .*wrote weight-only instead/);
  assert.match(r.stderr, /wrote weight-only instead/);
  assert.ok(!ops(out).includes('QuantizeLinear'), `no Q/DQ in the written model: ${ops(out).join(', ')}`);
});

test('--no-fallback keeps the static model and says it measured slower', () => {
  const out = join(dir, 'slow.kept.onnx');
  const r = runCli([model, '--calibrate', join(dir, 'calib'), '--threads', '1', '--min-intensity', '0', '-o', out, '--no-bench', '--no-fallback']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /kept \(--no-fallback\) although .*measured slower/);
  assert.ok(ops(out).includes('QuantizeLinear'));
});
