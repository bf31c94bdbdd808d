// The sample options from the command line, as a user runs them: images with
// a preset for --calibrate, --eval and bench --data, labels from sub-folders,
// spec errors (exit 2), corrupt images and NaN samples (exit 1, nothing
// written), --skip-bad-samples, and a saved calibration table reused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { convNet, writeModel } from '../helpers/models.js';

const tmp = makeTempDir('oq-cli-data-');
const model = join(tmp, 'net.onnx');
writeModel(convNet(3, { size: 8 }).model, model);
const images = join(repoRoot, 'test', 'data', 'images');
const calib = join(tmp, 'calib');
const evalDir = join(tmp, 'eval');
mkdirSync(calib);
for (const f of ['rgb_8x8.png', 'rgba_8x8.png', 'rgb_12x8.png', 'smooth_32x32.png']) copyFileSync(join(images, f), join(calib, f));
for (const [cls, files] of [['a', ['rgb_8x8.png', 'rgb_8x6.png']], ['b', ['rgba_8x8.png', 'smooth_32x32.jpg']]] as const) {
  mkdirSync(join(evalDir, cls), { recursive: true });
  for (const f of files) copyFileSync(join(images, f), join(evalDir, cls, f));
}
const quick = ['--no-memory', '--providers', 'cpu', '--runs', '2', '--min-time', '0', '--warmup', '0', '--min-intensity', '0'];

describe('quantize and bench with image folders', () => {
  it('calibrates on PNGs with a preset, evaluates on a labeled folder, prints the pipeline once', () => {
    const out = join(tmp, 'net.int8.onnx');
    const r = runCli([model, '--int8', '--calibrate', calib, '--preprocess', 'imagenet', '--eval', evalDir, '--json', ...quick]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual(json.notes.filter((l: string) => l.startsWith('images → ')),
      ["images → 'x': 8x8 stretch (linear), RGB, NCHW, (x/255 - mean [0.485, 0.456, 0.406]) / std [0.229, 0.224, 0.225], float32  [from: --preprocess imagenet, input shape]"]);
    assert.equal(json.mode, 'static');
    assert.equal(json.samples, 4);
    assert.equal(json.bench.data.samples, 4);
    assert.equal(json.bench.data.labels, `sub-folders of ${evalDir}`);
    assert.equal(json.bench.providers[0].accuracy.labeled, 4);
    assert.ok(existsSync(out));
  });

  it('bench --data takes the same options (--max-samples, --shuffle)', () => {
    const r = runCli(['bench', model, join(tmp, 'net.int8.onnx'), '--data', evalDir, '--preprocess', 'imagenet', '--max-samples', '3', '--shuffle', '--seed', '2', '--json', ...quick.slice(0, -2)]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.data.samples, 3);
    assert.equal(json.providers[0].accuracy.labeled, 3);
  });

  it('a spec that contradicts the model exits 2 with one line and writes nothing', () => {
    const out = join(tmp, 'spec.onnx');
    const r = runCli([model, '--int8', '--calibrate', calib, '--preprocess', 'imagenet,224', '-o', out, ...quick]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /size 224x224 \(--preprocess imagenet,224\) contradicts input 'x' of shape \[batch,3,8,8\]/);
    assert.ok(!existsSync(out));
    const bad = runCli([model, '--int8', '--calibrate', calib, '--preprocess', 'imagenet,bogus', '-o', out]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bogus: not a preset/);
  });

  it('a corrupt image exits 1 naming the file, and nothing is written', () => {
    const dir = join(tmp, 'corrupt');
    mkdirSync(dir);
    copyFileSync(join(images, 'rgb_8x8.png'), join(dir, 'a.png'));
    writeFileSync(join(dir, 'b.png'), 'not a png');
    const out = join(tmp, 'corrupt.onnx');
    const r = runCli([model, '--int8', '--calibrate', dir, '--preprocess', 'imagenet', '-o', out, ...quick]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: ${join(dir, 'b.png').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read the image`, 'm'));
    assert.ok(!existsSync(out));
    assert.deepEqual(readdirSync(tmp).filter((f) => f.startsWith('.corrupt')), []);
  });
});

describe('NaN samples and calibration tables from the command line', () => {
  const nanDir = join(tmp, 'nan');
  mkdirSync(nanDir);
  const row = (v: unknown) => Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => v));
  writeFileSync(join(nanDir, 'a.json'), JSON.stringify({ x: [[row(0.5), row(0.25), row(0.1)]] }));
  const bad = [[row(0.5), row(0.25), row(0.1)]];
  bad[0]![1]![2]![3] = 'NaN' as unknown as number;
  writeFileSync(join(nanDir, 'b.json'), JSON.stringify({ x: bad }));

  it('a NaN sample exits 1 naming file, input and index; --skip-bad-samples warns and goes on', () => {
    const out = join(tmp, 'nan.onnx');
    const r = runCli([model, '--int8', '--calibrate', nanDir, '-o', out, ...quick]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /b\.json: input 'x' holds NaN at index \[0,1,2,3\]/);
    assert.ok(!existsSync(out));
    const ok = runCli([model, '--int8', '--calibrate', nanDir, '--skip-bad-samples', '-o', out, '--no-bench']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /warning: .*b\.json: input 'x' holds NaN at index \[0,1,2,3\]: sample skipped/);
  });

  it('--save-calibration then --load-calibration without samples', () => {
    const table = join(tmp, 'table.json');
    const a = runCli([model, '--int8', '--calibrate', calib, '--preprocess', 'imagenet', '--save-calibration', table, '-o', join(tmp, 't1.onnx'), '--no-bench']);
    assert.equal(a.code, 0, a.stderr);
    assert.ok(existsSync(table));
    const b = runCli([model, '--int8', '--load-calibration', table, '-o', join(tmp, 't2.onnx'), '--no-bench', '--json']);
    assert.equal(b.code, 0, b.stderr);
    assert.match(JSON.parse(b.stdout).modeReason, /ranges from .*table\.json \(minmax\)/);
    const c = runCli([model, '--int8', '--load-calibration', table, '--save-calibration', table, '-o', join(tmp, 't3.onnx')]);
    assert.equal(c.code, 2);
  });
});
