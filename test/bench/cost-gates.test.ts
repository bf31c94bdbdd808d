import { test } from 'node:test';
import assert from 'node:assert/strict';
import { costPerMillion, costRow } from '../../src/bench/cost.js';
import { accuracyGate, gateChecks, gateFailure, speedupGate } from '../../src/bench/gates.js';
import type { CompareResult, OutputFidelity } from '../../src/bench/compare.js';
import type { LatencyStats } from '../../src/bench/latency.js';

const close = (a: number | null, b: number, tol = 1e-9): void => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('cost per million inferences: the price of the hours a million inferences take', () => {
  // 1000 inferences/s → 10⁶ take 1000 s = 1/3.6 h; at 3.60/h that is 1.00
  close(costPerMillion(1000, 3.6), 1);
  close(costPerMillion(250, 2.5), 2.5 / 3600 * 4000);
  assert.equal(costPerMillion(0, 1), null);
  assert.equal(costPerMillion(Infinity, 1), null);
  const r = costRow(8, 1000, 4000, 3.6);
  assert.equal(r.batch, 8);
  close(r.original, 1);
  close(r.quantized, 0.25);
  close(r.saving, 0.75);
  close(costRow(1, 1000, 500, 3.6).saving, -1, 1e-12);
});

const out = (name: string, cosine: number, top1Agreement?: number): OutputFidelity =>
  ({ name, cosine, sqnrDb: 30, maxAbsError: 0.1, meanAbsError: 0.01, elements: 10, nonFinite: 0, ...(top1Agreement !== undefined ? { top1Agreement } : {}) });

test('the accuracy gate reads labeled accuracy, else top-1 agreement, else the worst cosine', () => {
  const labeled = accuracyGate({ outputs: [out('y', 0.999, 0.99)], accuracy: { output: 'y', labeled: 100, original: 0.9, quantized: 0.88, drop: 2 } }, 1.5);
  assert.equal(labeled.metric, 'top-1 accuracy drop');
  assert.equal(labeled.value, 2);
  assert.equal(labeled.passed, false);
  assert.match(labeled.message, /dropped 2\.00 points \(90\.00% → 88\.00%\), more than the 1\.5 allowed/);
  assert.equal(accuracyGate({ outputs: [], accuracy: { output: 'y', labeled: 1, original: 1, quantized: 1, drop: 0 } }, 0).passed, true);

  const agree = accuracyGate({ outputs: [out('a', 0.9), out('y', 0.999, 0.97)] }, 2);
  assert.equal(agree.metric, 'top-1 disagreement');
  close(agree.value, 3, 1e-9);
  assert.equal(agree.passed, false);

  const cos = accuracyGate({ outputs: [out('a', 0.9995), out('b', 0.98)] }, 1);
  assert.equal(cos.metric, '1 - cosine');
  close(cos.value, 2, 1e-9);
  assert.equal(cos.passed, false);
  assert.match(cos.message, /output 'b'/);
  assert.equal(accuracyGate({ outputs: [out('a', 0.9995)] }, 1).passed, true);
  assert.equal(accuracyGate({ outputs: [out('a', NaN)] }, 100).passed, false, 'NaN fails closed');
});

const stats = (median: number): LatencyStats => ({ runs: 5, mean: median, min: median, max: median, median, p25: median, p75: median, p90: median, p99: median, throughput: 1000 / median });

test('the speed-up gate checks the main measurement and every measured batch size; the failure is one line', () => {
  assert.equal(speedupGate(1.2, 1.1, 'cpu', 1).passed, true);
  assert.equal(speedupGate(1.05, 1.1, 'cpu', 1).passed, false);
  const c = {
    outputs: [out('y', 1, 1)],
    latency: { original: stats(2), quantized: stats(1), speedup: 2, speedupInterval: { low: 1.9, high: 2.1, confidence: 0.95, method: 'paired-bootstrap' as const },
      batch: 1, threads: null, providers: ['cpu'], sample: 's' },
    batches: [
      { batch: 1, speedup: 2 },
      { batch: 8, speedup: 0.8 },
      { batch: 64, skipped: 'fixed' },
    ],
  } as Pick<CompareResult, 'outputs' | 'latency' | 'batches'>;
  const checks = gateChecks(c, { minSpeedup: 1, maxAccuracyDrop: 0 }, 'webgpu');
  assert.deepEqual(checks.map((k) => [k.gate, k.batch ?? null, k.passed]),
    [['max-accuracy-drop', null, true], ['min-speedup', 1, true], ['min-speedup', 8, false]]);
  const failure = gateFailure(checks);
  assert.match(failure ?? '', /^quality gate failed: webgpu, batch 8: speed-up 0\.80× is below the 1× required$/);
  assert.ok(!failure!.includes('\n'));
  assert.equal(gateFailure(checks.filter((k) => k.passed)), undefined);
});
