import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CompareResult, OutputFidelity } from '../../src/bench/compare.js';
import type { LatencyStats } from '../../src/bench/latency.js';
import { stripAnsi } from '../../src/cli/format.js';
import { fidelityWarnings, formatComparison, formatCosine, formatSqnr } from '../../src/report/compare-text.js';

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

test('the comparison table shows size, fidelity, accuracy and latency', () => {
  const text = stripAnsi(formatComparison(result()));
  assert.match(text, /original\s+model\.onnx\s+282 KiB/);
  assert.match(text, /quantized\s+model\.int8\.onnx\s+79\.1 KiB\s+0\.28× \(−72\.0%\)/);
  assert.match(text, /Fidelity \(360 samples\)/);
  assert.match(text, /logits\s+0\.99987\s+25\.3\s+0\.0712\s+0\.0123\s+99\.72%/);
  assert.match(text, /top-1 accuracy 98\.89% → 98\.61% \(−0\.28 pt\)/);
  assert.match(text, /Latency \(cpu, 4 threads, batch 1, 40 runs each\)/);
  assert.match(text, /original\s+0\.065\s+0\.078\s+15,337/);
  assert.match(text, /speed-up 1\.42× \(95% CI 1\.38–1\.47×\)/);
  assert.doesNotMatch(text, /within noise/);
  assert.doesNotMatch(text, /NaN\/inf/);
});

test('identical outputs show inf; skipped accuracy and noisy speed-ups say so', () => {
  const r = result({
    outputs: [output('logits', 1, { sqnrDb: null, maxAbsError: 0, meanAbsError: 0, top1Agreement: 1 })],
    accuracy: undefined,
    accuracySkipped: 'no sample file name is in the labels',
  });
  r.latency.speedupInterval = { low: 0.97, high: 1.04, confidence: 0.95, method: 'paired-bootstrap' };
  r.latency.threads = null;
  const text = stripAnsi(formatComparison(r));
  assert.match(text, /logits\s+1\s+inf\s+0\s+0\s+100\.00%/);
  assert.match(text, /top-1 accuracy not measured: no sample file name is in the labels/);
  assert.match(text, /default threads/);
  assert.match(text, /within noise/);
});

test('an accuracy gain is shown with a plus sign, a non-classifier output with a dash', () => {
  const r = result({
    outputs: [output('features', 0.9991)],
    accuracy: { output: 'logits', labeled: 100, original: 0.9, quantized: 0.91, drop: -1 },
  });
  const text = stripAnsi(formatComparison(r));
  assert.match(text, /90\.00% → 91\.00% \(\+1\.00 pt\)/);
  assert.match(text, /features\s+0\.99910\s+25\.3\s+0\.0712\s+0\.0123\s+-/);
});

test('colours follow direction when colour is on', async () => {
  const { default: chalk } = await import('chalk');
  const level = chalk.level;
  chalk.level = 1;
  try {
    const text = formatComparison(result());
    assert.ok(text.includes(chalk.red('(−0.28 pt)')), 'an accuracy drop is red');
    assert.ok(text.includes(chalk.green('1.42×')), 'a speed-up is green');
    assert.ok(text.includes(chalk.green('0.28× (−72.0%)')), 'a smaller file is green');
  } finally {
    chalk.level = level;
  }
});

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
  assert.match(stripAnsi(formatComparison(r)), /NaN\/inf/);
});

test('top-5 accuracy is shown beside top-1 when the comparison has it', () => {
  const text = stripAnsi(formatComparison(result({
    accuracy: { output: 'logits', labeled: 100, original: 0.9, quantized: 0.9, drop: 0, top5: { original: 1, quantized: 0.99, drop: 1 } },
  })));
  assert.match(text, /top-1 accuracy 90\.00% → 90\.00% \(±0\.00 pt\)\s+top-5 100\.00% → 99\.00% \(−1\.00 pt\)/);
  assert.doesNotMatch(stripAnsi(formatComparison(result())), /top-5/);
});
