// Batches as a CI job or a conversion script runs them: a folder of generated
// models with one corrupt file, outputs under --out-dir, NDJSON results
// checked against their schema, shards merged, unchanged work skipped, a
// config file, and the exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { mlp, writeModel } from '../helpers/models.js';
import { parseNdjson, resultSchemaErrors } from '../batch/result-schema.js';

const dir = makeTempDir();
const models = join(dir, 'models');
mkdirSync(join(models, 'sub'), { recursive: true });
const names = ['m0', 'm1', 'm2', 'm3', 'sub/s0', 'sub/s1'];
names.forEach((n, i) => writeModel(mlp(10 + i, { hidden: [32] }).model, join(models, `${n}.onnx`)));
writeFileSync(join(models, 'sub', 'broken.onnx'), 'not a model at all');
const keys = [...names.map((n) => `models/${n}.onnx`), 'models/sub/broken.onnx'].sort();
const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, env, { cwd: dir });
type Line = Record<string, unknown>;
const modelLines = (lines: Line[]): Line[] => lines.filter((l) => l.type === 'model');
const summaryOf = (lines: Line[]): Line => {
  const last = lines[lines.length - 1]!;
  assert.equal(last.type, 'summary', 'the summary comes last');
  return last;
};

test('a folder with -r and --out-dir: mirrored outputs, one NDJSON line per model, the worst exit code; a corrupt model stops nothing', async () => {
  const r = cli(['models', '-r', '--out-dir', 'out', '--no-bench', '--json', '--jobs', '2']);
  assert.equal(r.code, 1, r.stderr);
  const lines = parseNdjson(r.stdout);
  const results = modelLines(lines);
  assert.deepEqual(results.map((l) => l.key).sort(), keys);
  const broken = results.find((l) => l.key === 'models/sub/broken.onnx')!;
  assert.equal(broken.status, 'failed');
  assert.equal(broken.exitCode, 1);
  assert.match(String(broken.error), /broken\.onnx/);
  assert.match(r.stderr, /broken\.onnx/);
  for (const n of names) {
    const out = join(dir, 'out', `${n}.int8.onnx`);
    assert.ok(existsSync(out), `${out} mirrors models/${n}.onnx`);
    assert.equal(results.find((l) => l.key === `models/${n}.onnx`)!.output, join('out', `${n}.int8.onnx`));
  }
  await (await ort.InferenceSession.create(join(dir, 'out', 'sub', 's1.int8.onnx'))).release();
  const summary = summaryOf(lines);
  assert.deepEqual(summary.counts, { ok: 6, skipped: 0, failed: 1, 'gate-failed': 0, interrupted: 0, notStarted: 0 });
  assert.equal(summary.exitCode, 1);
  assert.deepEqual(summary.planned, keys);
  // The folder walked again finds the outputs beside nothing: they are under out/, and a glob is expanded by the tool.
  const glob = cli(['models/sub/*.onnx', '--no-bench', '--out-dir', 'out-glob', '-q']);
  assert.equal(glob.code, 1);
  assert.ok(existsSync(join(dir, 'out-glob', 's0.int8.onnx')), 'relative to the glob\'s folder');
  assert.match(glob.stdout, /Summary: 3 models: 2 ok, 1 failed/);
  assert.doesNotMatch(glob.stdout, /s0\.onnx/, '--quiet lists only the failures');
  // A folder without -r is a usage error.
  const folder = cli(['models', '--no-bench']);
  assert.equal(folder.code, 2);
  assert.match(folder.stderr, /models is a folder: pass -r/);
});

test('--shard K/N: the shards cover the list once, merge-reports joins them and notices a missing or doubled shard; adding a model moves no other', () => {
  const runShards = (tag: string, extra: string[] = []): Line[][] => [1, 2, 3].map((k) => {
    const r = cli(['models', '-r', '--out-dir', 'out-shards', '--no-bench', '--shard', `${k}/3`, '--json-file', `${tag}${k}.ndjson`, '-q', ...extra]);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    return parseNdjson(readFileSync(join(dir, `${tag}${k}.ndjson`), 'utf8'));
  });
  const shards = runShards('s', ['--skip-existing']);
  const planned = shards.map((lines) => summaryOf(lines).planned as string[]);
  assert.deepEqual(planned.flat().sort(), keys, 'every model in exactly one shard');
  for (const lines of shards) assert.deepEqual(summaryOf(lines).shard !== null, true);

  const merged = cli(['merge-reports', 's1.ndjson', 's2.ndjson', 's3.ndjson']);
  assert.equal(merged.code, 1, 'the worst model: the corrupt one failed');
  const mergedLines = parseNdjson(merged.stdout);
  assert.deepEqual(modelLines(mergedLines).map((l) => l.key), keys);
  assert.deepEqual((summaryOf(mergedLines).counts as Record<string, number>).ok, 6);
  const missing = cli(['merge-reports', 's1.ndjson', 's3.ndjson']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /shard 2\/3 missing/);
  const twice = cli(['merge-reports', 's1.ndjson', 's2.ndjson', 's2.ndjson', 's3.ndjson']);
  assert.match(twice.stderr, /shard 2\/3 is given twice/);
  // A run that did not finish has no summary line.
  writeFileSync(join(dir, 'cut.ndjson'), readFileSync(join(dir, 's2.ndjson'), 'utf8').split('\n').slice(0, -2).join('\n'));
  assert.match(cli(['merge-reports', 's1.ndjson', 'cut.ndjson', 's3.ndjson']).stderr, /cut\.ndjson: no summary line/);

  // A model added: the others stay in their shards (and are skipped as up to date); the new one is quantized.
  writeModel(mlp(99, { hidden: [32] }).model, join(models, 'sub', 'added.onnx'));
  const again = runShards('t', ['--skip-existing']);
  for (let k = 0; k < 3; k++) {
    const now = summaryOf(again[k]!).planned as string[];
    assert.deepEqual(now.filter((key) => key !== 'models/sub/added.onnx'), planned[k], `shard ${k + 1}/3 keeps its models`);
    for (const l of modelLines(again[k]!)) {
      if (l.key === 'models/sub/added.onnx') assert.equal(l.status, 'ok');
      else if (l.key !== 'models/sub/broken.onnx') assert.equal(l.status, 'skipped', `${String(l.key)} is up to date`);
    }
  }
  assert.notEqual(summaryOf(again[0]!).listSha256, summaryOf(shards[0]!).listSha256);
  assert.match(cli(['merge-reports', 's1.ndjson', 't2.ndjson', 't3.ndjson']).stderr, /different model lists/);
});

test('--skip-existing leaves an up-to-date output alone and redoes a stale one (source or settings changed)', () => {
  const src = join(dir, 'skip.onnx');
  writeModel(mlp(40, { hidden: [32] }).model, src);
  const run = (...extra: string[]): Line => {
    const r = cli(['skip.onnx', '--no-bench', '--json', '--skip-existing', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    // One model file named: one JSON object (not NDJSON), in the same schema.
    const line = JSON.parse(r.stdout) as Line;
    assert.deepEqual(resultSchemaErrors(line), []);
    return line;
  };
  assert.equal(run().status, 'ok');
  const skipped = run();
  assert.equal(skipped.status, 'skipped');
  assert.match(String(skipped.skipped), /up to date/);
  assert.equal(run('--per-tensor').redone, 'the settings changed');
  assert.equal(run('--per-tensor').status, 'skipped');
  writeModel(mlp(41, { hidden: [32] }).model, src);
  const redone = run('--per-tensor');
  assert.equal(redone.status, 'ok');
  assert.equal(redone.redone, 'the source model changed');
  // Without --skip-existing or --force, an existing output is still refused.
  const refused = cli(['skip.onnx', '--no-bench']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /exists: pass --force/);
});

test('a config file: inputs, per-glob overrides over defaults, flags over the file; a bad key is named', () => {
  writeFileSync(join(dir, 'quantize.config.json'), JSON.stringify({
    inputs: ['models/m0.onnx', 'models/sub/s0.onnx'],
    outDir: 'out-config',
    defaults: { bench: false, name: '{name}.q8.onnx' },
    overrides: [{ match: 'models/sub/**', mode: 'weight-only' }],
  }));
  const r = cli(['--config', 'quantize.config.json', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = modelLines(parseNdjson(r.stdout));
  assert.deepEqual(lines.map((l) => [l.key, l.mode]).sort(), [['models/m0.onnx', 'dynamic'], ['models/sub/s0.onnx', 'weight-only']]);
  // Files named one by one land in the out folder by name; folders and globs are mirrored.
  assert.ok(existsSync(join(dir, 'out-config', 's0.q8.onnx')), 'the name pattern and outDir from the file');
  const flags = cli(['--config', 'quantize.config.json', '--json', '--weight-only', '--force', '--name', '{name}.w8.onnx']);
  assert.equal(flags.code, 0, flags.stderr);
  assert.deepEqual(modelLines(parseNdjson(flags.stdout)).map((l) => l.mode), ['weight-only', 'weight-only']);
  assert.ok(existsSync(join(dir, 'out-config', 'm0.w8.onnx')), 'the flag\'s name wins');

  writeFileSync(join(dir, 'bad.config.json'), JSON.stringify({ defaults: { bench: 'no' }, overrides: [{ match: '*.onnx', methd: 'minmax' }] }));
  const bad = cli(['--config', 'bad.config.json']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /bad\.config\.json: .*defaults\.bench must be a boolean \(got "no"\).*overrides\[0\]\.methd: unknown key \(did you mean method\?\)/);
});

test('-o into a folder that does not exist: one line, exit 2; colours off in CI even when forced', () => {
  copyFileSync(join(models, 'm0.onnx'), join(dir, 'one.onnx'));
  const r = cli(['one.onnx', '--no-bench', '-o', 'no/such/folder/out.onnx']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /cannot write no\/such\/folder\/out\.onnx: the folder no\/such\/folder does not exist/);
  const ESC = String.fromCharCode(27);
  const forced = cli(['one.onnx', '--no-bench', '-o', 'no/such/out.onnx'], { NO_COLOR: '', FORCE_COLOR: '1', CI: '' });
  assert.ok(forced.stderr.includes(ESC), 'colours when forced outside CI (the check can fail)');
  const ci = cli(['one.onnx', '--no-bench', '-o', 'no/such/out.onnx'], { NO_COLOR: '', FORCE_COLOR: '1', CI: 'true' });
  assert.ok(!ci.stderr.includes(ESC), 'no colours with CI set');
});
