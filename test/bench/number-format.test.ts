import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompareResult, OutputFidelity } from '../../src/bench/compare.js';
import type { LatencyStats } from '../../src/bench/latency.js';
import { formatCosine, formatSqnr } from '../../src/report/compare-text.js';
import { fidelityWarnings } from '../../src/bench/warnings.js';

function stats(median: number): LatencyStats {
  return { runs: 40, mean: median, min: median * 0.9, max: median * 2, median, p25: median * 0.95, p75: median * 1.05,
    p90: median * 1.2, p99: median * 1.5, throughput: 1000 / median };
}

function output(name: string, cosine: number, extra: Partial<OutputFidelity> = {}): OutputFidelity {
  return { name, cosine, sqnrDb: 25.3, maxAbsError: 0.0712, meanAbsError: 0.0123, elements: 3600, nonFinite: 0, ...extra };
}

function result(over: Partial<CompareResult> = {}): CompareResult {
  return {
    original: { file: '/models/model.onnx', bytes: 289133 },
    quantized: { file: '/models/model.int8.onnx', bytes: 81000 },
    sizeRatio: 81000 / 289133,
    samples: 360,
    outputs: [output('logits', 0.99987, { top1Agreement: 0.9972 })],
    accuracy: { output: 'logits', labeled: 360, original: 356 / 360, quantized: 355 / 360, drop: (1 / 360) * 100 },
    latency: {
      original: stats(0.0652), quantized: stats(0.0459), speedup: 0.0652 / 0.0459,
      speedupInterval: { low: 1.38, high: 1.47, confidence: 0.95, method: 'paired-bootstrap' },
      batch: 1, threads: 4, providers: ['cpu'], sample: 'eval/sample_000.npz',
    },
    ...over,
  };
}

test('cosine and SQNR formatting', () => {
  assert.equal(formatCosine(1), '1');
  assert.equal(formatCosine(0.97123456), '0.97123');
  assert.equal(formatCosine(0.9999994), '0.999999');
  assert.equal(formatCosine(0.99999996), '0.99999996');
  assert.equal(formatSqnr(null), 'inf');
  assert.equal(formatSqnr(-999), '-inf');
  assert.equal(formatSqnr(13.9794), '14.0');
});

test('fidelity warnings name the outputs below the threshold, worst first', () => {
  const r = result({
    outputs: [
      output('a', 0.995),
      output('b', 0.9712),
      output('c', 0.9999),
      output('d', 0.5),
      output('e', 0.98996),
    ],
  });
  assert.deepEqual(fidelityWarnings(r), [
    "output 'd' cosine 0.5000 (< 0.99): quantization damaged it",
    "output 'b' cosine 0.9712 (< 0.99): quantization damaged it",
    "output 'e' cosine 0.98996 (< 0.99): quantization damaged it",
  ]);
  assert.deepEqual(fidelityWarnings(r, 0.999), [
    "output 'd' cosine 0.5000 (< 0.999): quantization damaged it",
    "output 'b' cosine 0.9712 (< 0.999): quantization damaged it",
    "output 'e' cosine 0.9900 (< 0.999): quantization damaged it",
    "output 'a' cosine 0.9950 (< 0.999): quantization damaged it",
  ]);
  assert.deepEqual(fidelityWarnings(result()), []);
});

test('outputs with NaN or infinite values come first in the warnings', () => {
  const r = result({ outputs: [output('a', 0.9, {}), output('n', 0.9999, { nonFinite: 5, elements: 95 })] });
  const w = fidelityWarnings(r);
  assert.equal(w.length, 2);
  assert.equal(w[0], "output 'n' has 5 NaN or infinite values (of 100); fidelity is measured on the rest");
  assert.match(w[1]!, /^output 'a' cosine 0\.9000/);
});

