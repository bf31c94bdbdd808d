// The models a command names: files in the order given, folders only with
// -r (hidden folders skipped), quoted globs expanded here, each model once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expandModels, globBase } from '../../src/batch/model-list.js';
import { outputFor } from '../../src/batch/output-path.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir();
for (const f of ['a.onnx', 'b.onnx', 'sub/c.onnx', 'sub/deep/d.onnx', 'sub/notes.txt', '.hidden/h.onnx', 'sub/.x.onnx.work-abc/x.onnx']) {
  mkdirSync(join(dir, f, '..'), { recursive: true });
  writeFileSync(join(dir, f), 'x');
}

test('files in the order given, each once; a folder without -r is a usage error', () => {
  const list = expandModels(['b.onnx', 'a.onnx', './b.onnx'], { cwd: dir });
  assert.deepEqual(list.map((e) => e.relative), ['b.onnx', 'a.onnx']);
  assert.throws(() => expandModels(['sub'], { cwd: dir }), /sub is a folder: pass -r/);
});

test('-r walks a folder for .onnx files, sorted, skipping hidden folders; relative paths mirror it', () => {
  const list = expandModels(['sub', 'a.onnx'], { cwd: dir, recursive: true });
  assert.deepEqual(list.map((e) => e.relative), ['c.onnx', 'deep/d.onnx', 'a.onnx']);
  assert.deepEqual(list.map((e) => e.input), [join('sub', 'c.onnx'), join('sub', 'deep', 'd.onnx'), 'a.onnx']);
  assert.equal(outputFor(list[1]!, '{name}.int8.onnx', 'out'), join('out', 'deep', 'd.int8.onnx'));
  assert.equal(outputFor(list[1]!, '{name}_q.onnx'), join('sub', 'deep', 'd_q.onnx'));
  assert.equal(list[0]!.key, relative(process.cwd(), join(dir, 'sub', 'c.onnx')).split('\\').join('/'));
});

test('quoted globs are expanded by the tool, relative to their fixed folders', () => {
  assert.equal(globBase('models/**/*.onnx'), 'models');
  assert.equal(globBase('*.onnx'), '.');
  const list = expandModels(['sub/**/*.onnx'], { cwd: dir });
  assert.deepEqual(list.map((e) => e.relative), ['c.onnx', 'deep/d.onnx']);
  assert.ok(list.every((e) => e.found));
  assert.throws(() => expandModels(['nothing/*.onnx'], { cwd: dir }), /no file matches/);
});
