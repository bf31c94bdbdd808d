// The per-layer analysis on a model with one planted hypersensitive unit and
// one planted unit that is much slower quantized: each ranks first on its
// axis; the CLI prints the table, --json, and the HTML report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeModel } from '../../src/auto/analyze.js';
import { writeModel } from '../helpers/models.js';
import { writePlantedFixture } from '../helpers/planted-models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';

const dir = makeTempDir('oq-analyze-');
const model = writePlantedFixture(dir, 8);

test('analyze ranks the hypersensitive unit first on accuracy cost and the slow unit first on time lost', async (t) => {
  const a = await analyzeModel(model, { calibrate: join(dir, 'calib'), eval: join(dir, 'eval'), method: 'auto', threads: 1, samples: 8 });
  const byName = new Map(a.units.map((u) => [u.name, u]));
  const sensitive = byName.get('sensitive')!;
  const slow = byName.get('slow')!;
  t.diagnostic(a.units.map((u) => `${u.name}: cost ${u.cost.toExponential(2)}, saved ${u.savedMs.toFixed(3)} ms`).join('; '));
  assert.equal(sensitive.accuracyRank, 1);
  assert.equal(slow.slowdownRank, 1);
  // Far from the next: the planted effects are large, not a near tie.
  const nextCost = Math.max(...a.units.filter((u) => u !== sensitive).map((u) => u.cost));
  assert.ok(sensitive.cost > 10 * nextCost, `cost ${sensitive.cost} vs ${nextCost}`);
  assert.ok(slow.savedMs < 0 && slow.quantizedMs > 2 * slow.floatMs, `slow: float ${slow.floatMs} ms, int8 ${slow.quantizedMs} ms`);
  // Scale: O(units) runs of the subset at most.
  assert.ok(a.runs.oneShot === 8 && a.runs.exact <= 8 * a.units.length, JSON.stringify(a.runs));
  assert.ok(a.exactChecks < a.units.length, 'exact checks only where the one-shot ranking is close');
  assert.ok(sensitive.weightSqnrDb! > 20 && sensitive.localSqnrDb.int8! < 10, JSON.stringify(sensitive));
});

test('quantize analyze prints the ranked table, --json, and writes the HTML report', () => {
  const report = join(dir, 'analysis.html');
  const r = runCli(['analyze', model, '--calibrate', join(dir, 'calib'), '--eval', join(dir, 'eval'), '--threads', '1', '--samples', '4', '--json', '--report', report]);
  assert.equal(r.code, 0, r.stderr);
  const json = JSON.parse(r.stdout) as { units: Array<{ name: string; accuracyRank: number }>; runs: { total: number } };
  assert.equal(json.units.find((u) => u.accuracyRank === 1)?.name, 'sensitive');
  assert.ok(json.runs.total > 0);
  assert.ok(existsSync(report));
  assert.match(readFileSync(report, 'utf8'), /id="layer-chart"/);
  const text = runCli(['analyze', model, '--calibrate', join(dir, 'calib'), '--threads', '1', '--samples', '2']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^1\s+\d+\s+sensitive\s+Conv/m);
  assert.match(text.stderr, /calibration samples serve for evaluation too/);
});

test('analyze without --calibrate, with a bad --samples or --method, is a usage error', () => {
  assert.equal(runCli(['analyze', model]).code, 2);
  assert.equal(runCli(['analyze', model, '--calibrate', join(dir, 'calib'), '--samples', 'x']).code, 2);
  assert.equal(runCli(['analyze', model, '--calibrate', join(dir, 'calib'), '--method', 'median']).code, 2);
  const missing = runCli(['analyze', join(dir, 'nope.onnx'), '--calibrate', join(dir, 'calib')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.onnx/);
});
