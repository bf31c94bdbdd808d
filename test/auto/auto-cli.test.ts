// `quantize --auto --max-accuracy-drop X` from the command line: on the
// planted model a tight budget takes the hypersensitive unit out of the
// integer kernels and the slow unit too, and is met; the bad-input cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeModel } from '../helpers/models.js';
import { slowConv, writePlantedFixture } from '../helpers/planted-models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const dir = makeTempDir('oq-auto-');
const model = writePlantedFixture(dir, 16);

interface SearchJson {
  met: boolean;
  evaluations: number;
  seconds: number;
  steps: Array<{ metric: { value: number }; meets: boolean; speedup: number }>;
  chosenStep: number;
  choice: Array<{ name: string; choice: string }>;
}

test('--auto with a tight budget (cosine ≥ 0.995): the hypersensitive unit leaves the integer kernels, the slow one stays out for speed, the budget is met', (t) => {
  const out = join(dir, 'planted.auto.onnx');
  const report = join(dir, 'auto.html');
  const r = runCli([model, '--calibrate', join(dir, 'calib'), '--eval', join(dir, 'eval'), '--auto', '--max-accuracy-drop', '0.5', '--threads', '1',
    '-o', out, '--no-memory', '--providers', 'cpu', '--runs', '5', '--min-time', '200', '--json', '--report', report]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { search: SearchJson; bench: { gates: Array<{ passed: boolean }> } };
  const s = result.search;
  const choice = Object.fromEntries(s.choice.map((c) => [c.name, c.choice]));
  t.diagnostic(`steps: ${s.steps.map((x) => `${x.metric.value.toFixed(2)}@${x.speedup.toFixed(2)}x`).join(', ')}; choice ${JSON.stringify(choice)}; ${s.evaluations} evaluations, ${s.seconds.toFixed(1)} s`);
  assert.ok(s.met);
  assert.ok(!['int8', 'int8-w8'].includes(choice.sensitive!), `sensitive: ${choice.sensitive}`);
  assert.ok(!['int8', 'int8-w8'].includes(choice.slow!), `slow: ${choice.slow}`);
  assert.ok(s.steps[s.chosenStep]!.metric.value <= 0.5);
  assert.ok(result.bench.gates.every((g) => g.passed), 'the written model passes the same budget in the benchmark');
  assert.ok(existsSync(out));
  assert.match(readFileSync(report, 'utf8'), /id="search-chart"/);
});

test('--auto bad input: no samples, a budget that is not a number, --auto-metric the hook does not return (exit 2)', () => {
  const out = join(dir, 'bad.onnx');
  const none = runCli([model, '--auto', '-o', out]);
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /--auto needs samples/);
  const nan = runCli([model, '--auto', '--calibrate', join(dir, 'calib'), '--max-accuracy-drop', 'lots', '-o', out]);
  assert.equal(nan.code, 2);
  assert.match(nan.stderr, /--max-accuracy-drop must be a number/);
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, 'export default (outputs) => ({ margin: outputs.y.data[0] });\n');
  const metric = runCli([model, '--auto', '--calibrate', join(dir, 'calib'), '--metric', hook, '--auto-metric', 'recall', '-o', out, '--no-bench']);
  assert.equal(metric.code, 2, metric.stderr);
  assert.match(metric.stderr, /--auto-metric recall: .* returns margin, not 'recall'/);
  assert.equal(runCli([model, '--keep-best', '-o', out, '--no-bench']).code, 2);
  assert.ok(!existsSync(out));
});

test('a budget no choice can meet: exit 3, the best trade-off printed, nothing written unless --keep-best', () => {
  const slow = slowConv(3);
  const file = join(dir, 'slow.onnx');
  writeModel(slow.model, file);
  slow.writeSamples(join(dir, 'slow-calib'), 4, 1);
  const out = join(dir, 'slow.auto.onnx');
  // No classifier output: the budget is on 100 × (1 − cosine); 0 allows no error at all.
  const args = [file, '--calibrate', join(dir, 'slow-calib'), '--auto', '--max-accuracy-drop', '0', '--threads', '1', '-o', out, '--no-bench'];
  const r = runCli(args);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /no choice meets the budget.*best trade-off found is step \d+/);
  assert.match(r.stderr, /nothing written/);
  assert.ok(!existsSync(out));
  const kept = runCli([...args, '--keep-best']);
  assert.equal(kept.code, 3, kept.stderr);
  assert.ok(existsSync(out));
});
