// `quantize inspect` as a user runs it, and every kind of bad input getting
// one line naming the file, exit code 1, and no stack trace without --verbose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';

const dir = makeTempDir();
const digits = fixturePath('digits', 'model.onnx');

test('inspect prints the model summary', () => {
  const r = runCli(['inspect', digits]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /IR version 7/);
  assert.match(r.stdout, /input\s+float32\s+\[batch, 1, 8, 8\]/);
  assert.match(r.stdout, /Conv\s+2/);
  assert.match(r.stdout, /float32\s+14\s+71,898/);
});

test('inspect --json gives the same facts as JSON', () => {
  const r = runCli(['inspect', digits, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.irVersion, 7);
  assert.deepEqual(s.opsets, [{ domain: 'ai.onnx', version: 13 }]);
  assert.deepEqual(s.inputs, [{ name: 'input', type: 'float32', shape: ['batch', 1, 8, 8] }]);
  assert.equal(s.ops.find((o: { op: string }) => o.op === 'Gemm').count, 2);
  assert.equal(s.weights[0].dtype, 'float32');
  assert.equal(s.weights[0].bytes, 71898 * 4);
  assert.equal(s.fileBytes, readFileSync(digits).length);
});

test('inspect counts subgraph ops, Constant weights and external data', () => {
  const r = runCli(['inspect', '/usr/share/libonnx-testdata/data/node/test_if/model.onnx', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(s.subgraphs, 2);
  assert.ok(s.ops.some((o: { inSubgraphs: number }) => o.inSubgraphs > 0));
  assert.ok(s.constantNodes >= 2);
  const model = loadModel(digits);
  const ext = join(dir, 'ext.onnx');
  saveModel(model.proto, ext, { externalData: true, source: model });
  const e = JSON.parse(runCli(['inspect', ext, '--json']).stdout);
  assert.equal(e.externalData[0].file, 'ext.onnx.data');
  assert.ok(e.externalData[0].tensors >= 3);
});

function expectCleanError(args: string[], file: string, pattern: RegExp): void {
  const r = runCli(args);
  assert.equal(r.code, 1, `exit code for ${file}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.ok(lines[0]!.includes(file), `names the file: ${lines[0]}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('bad input: one clear line, exit 1, no stack trace', () => {
  expectCleanError(['inspect', join(dir, 'nope.onnx')], 'nope.onnx', /no such file/);
  mkdirSync(join(dir, 'folder.onnx'));
  expectCleanError(['inspect', join(dir, 'folder.onnx')], 'folder.onnx', /directory/);
  writeFileSync(join(dir, 'empty.onnx'), '');
  expectCleanError(['inspect', join(dir, 'empty.onnx')], 'empty.onnx', /empty/);
  copyFileSync(digits, join(dir, 'cut.onnx'));
  truncateSync(join(dir, 'cut.onnx'), 5000);
  expectCleanError(['inspect', join(dir, 'cut.onnx')], 'cut.onnx', /truncated or corrupted/);
  writeFileSync(join(dir, 'notes.onnx'), 'hello, I am not a model\n');
  expectCleanError(['inspect', join(dir, 'notes.onnx')], 'notes.onnx', /text file/);
  writeFileSync(join(dir, 'garbage.onnx'), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x07, 0x01, 0x02, 0x03]));
  expectCleanError(['inspect', join(dir, 'garbage.onnx')], 'garbage.onnx', /not .*ONNX|corrupted|cannot be decoded/);
  copyFileSync(fixturePath('digits', 'calib.npy'), join(dir, 'array.onnx'));
  expectCleanError(['inspect', join(dir, 'array.onnx')], 'array.onnx', /NumPy/);

  const model = loadModel(digits);
  const ext = join(dir, 'sub', 'm.onnx');
  mkdirSync(join(dir, 'sub'));
  saveModel(model.proto, ext, { externalData: true, source: model });
  truncateSync(`${ext}.data`, 1000);
  expectCleanError(['inspect', ext], 'm.onnx', /past the end/);
  const lonely = join(dir, 'lonely');
  mkdirSync(lonely);
  copyFileSync(ext, join(lonely, 'm.onnx'));
  expectCleanError(['inspect', join(lonely, 'm.onnx')], 'm.onnx', /m\.onnx\.data.*missing/);
});

test('--verbose adds the stack trace; usage errors exit 2', () => {
  const r = runCli(['inspect', join(dir, 'nope.onnx'), '--verbose']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\n\s+at /);
  assert.equal(runCli(['inspect']).code, 2);
  assert.equal(runCli(['inspct', digits]).code, 2);
});
