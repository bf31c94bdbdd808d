// The terminal table and the Markdown of a bench report, on a made-up report
// whose numbers are chosen here (not produced by the code under test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import chalk from 'chalk';
import type { BenchReport, ProviderBench } from '../../src/bench/bench.js';
import type { LatencyStats } from '../../src/bench/latency.js';
import type { MemoryResult } from '../../src/bench/memory.js';
import { stripAnsi } from '../../src/cli/format.js';
import { formatBench, formatNumber, formatPrice, relativeChange } from '../../src/report/bench-text.js';
import { formatBenchMarkdown, mdTable } from '../../src/report/bench-markdown.js';
import { schemaErrors } from './schema.js';

const MiB = 1024 * 1024;

function stats(median: number, batch = 1): LatencyStats {
  return { runs: 40, mean: median * 1.1, min: median * 0.9, max: median * 3, median, p25: median * 0.95, p75: median * 1.05,
    p90: median * 1.2, p99: median * 2, throughput: (batch * 1000) / median };
}

function memory(peakMiB: number, placement: MemoryResult['placement']): MemoryResult {
  return { loadMs: 12.5, runs: 10, runMedianMs: 1, baselineRssBytes: 60 * MiB, loadPeakRssBytes: (peakMiB - 1) * MiB,
    peakRssBytes: peakMiB * MiB, sessionRssBytes: (peakMiB - 60) * MiB, placement };
}

function cpuProvider(): ProviderBench {
  return {
    name: 'cpu', status: 'ran', inBuild: true, bundled: true, samples: 360,
    outputs: [{ name: 'logits', cosine: 0.99987, sqnrDb: 38.2, maxAbsError: 0.21, meanAbsError: 0.034, top1Agreement: 0.9972, elements: 3600, nonFinite: 0 }],
    accuracy: { output: 'logits', labeled: 360, original: 356 / 360, quantized: 355 / 360, drop: 100 / 360,
      top5: { original: 1, quantized: 1, drop: 0 } },
    custom: { name: 'margin', file: '/m.js', higherIsBetter: true, values: [{ key: 'margin', original: 2.5, quantized: 2.25, delta: -0.25, samples: 360 }] },
    latency: { original: stats(2), quantized: stats(1.25), speedup: 1.6,
      speedupInterval: { low: 1.5, high: 1.7, confidence: 0.95, method: 'paired-bootstrap' },
      batch: 1, threads: null, providers: ['cpu'], sample: 'eval/sample_000.npz' },
    batches: [
      { batch: 1, original: stats(2), quantized: stats(1.25), speedup: 1.6, speedupInterval: { low: 1.5, high: 1.7, confidence: 0.95, method: 'paired-bootstrap' } },
      { batch: 8, original: stats(8, 8), quantized: stats(4, 8), speedup: 2, speedupInterval: { low: 1.9, high: 2.1, confidence: 0.95, method: 'paired-bootstrap' } },
      { batch: 32, skipped: "the model's batch dimension is fixed at 1" },
    ],
    cost: [
      { batch: 1, original: 0.5, quantized: 0.3125, saving: 0.375 },
      { batch: 8, original: 0.25, quantized: 0.125, saving: 0.5 },
    ],
    memory: {
      original: memory(100, [{ provider: 'CPUExecutionProvider', nodes: 7, ops: [{ op: 'Conv', count: 2 }, { op: 'Gemm', count: 5 }] }]),
      quantized: memory(80, [{ provider: 'CPUExecutionProvider', nodes: 9, ops: [{ op: 'QLinearConv', count: 2 }, { op: 'QGemm', count: 7 }] }]),
    },
  };
}

function report(): BenchReport {
  return {
    schema: 'onnx-quantize/bench-report', schemaVersion: 1, createdAt: '2025-01-01T00:00:00.000Z',
    tool: { name: 'onnx-quantize', version: '0.1.0' }, runtime: { name: 'onnxruntime-node', version: '1.30.0' },
    host: { platform: 'linux', arch: 'x64', cpu: 'Test CPU', logicalCpus: 4, node: 'v20.0.0' },
    original: { file: '/m/model.onnx', bytes: 4 * MiB }, quantized: { file: '/m/model.int8.onnx', bytes: MiB }, sizeRatio: 0.25,
    data: { source: 'eval', samples: 360, labels: 'eval/labels.json' },
    settings: { threads: null, batch: null, batchSizes: [1, 8, 32], pricePerHour: 2.5, latency: { warmupRuns: 5, minRuns: 20, minTimeMs: 1000 }, memoryRuns: 10 },
    providers: [
      cpuProvider(),
      { name: 'cuda', status: 'skipped', inBuild: true, bundled: false, reason: 'Failed to load shared library', hint: 'run ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node' },
      { name: 'webgpu', status: 'failed', inBuild: true, bundled: true, reason: 'model | has an op it cannot run' },
      { name: 'dml', status: 'skipped', inBuild: false, bundled: null, reason: '[dml] backend not found.' },
      { name: 'coreml', status: 'skipped', inBuild: false, bundled: null, reason: '[coreml] backend not found.' },
    ],
    gates: [
      { gate: 'max-accuracy-drop', provider: 'cpu', metric: 'top-1 accuracy drop', value: 100 / 360, threshold: 0.5, passed: true, message: 'cpu: top-1 accuracy dropped 0.28 points' },
      { gate: 'min-speedup', provider: 'cpu', batch: 1, metric: 'speed-up', value: 1.6, threshold: 2, passed: false, message: 'cpu, batch 1: speed-up 1.60× is below the 2× required' },
    ],
    warnings: ['cpu: something to read'],
  };
}

test('the made-up report is valid against the schema, and the schema rejects what it must', () => {
  assert.deepEqual(schemaErrors(report()), []);
  const extra = { ...report(), surprise: 1 };
  assert.ok(schemaErrors(extra).length > 0, 'undocumented fields are refused');
  const ran = report();
  delete ran.providers[0]!.latency;
  assert.ok(schemaErrors(ran).some((e) => e.includes('latency')), 'a provider that ran must have latency');
  const skipped = report();
  delete skipped.providers[1]!.reason;
  assert.ok(schemaErrors(skipped).length > 0, 'a skipped provider must say why');
  const badBatch = report();
  badBatch.providers[0]!.batches![2] = { batch: 32 };
  assert.ok(schemaErrors(badBatch).length > 0, 'a batch entry is either measured or skipped');
});

test('the terminal table: header, providers skipped with reasons, one block per provider that ran, gates', () => {
  const text = stripAnsi(formatBench(report()));
  assert.match(text, /^Bench model\.onnx \(4\.00 MiB\) → model\.int8\.onnx \(1\.00 MiB\)  0\.25× \(−75\.0%\)/);
  assert.match(text, /data: 360 samples from eval, labels eval\/labels\.json/);
  assert.match(text, /providers: cpu\n/);
  assert.match(text, /cuda skipped: Failed to load shared library\n\s+run ONNXRUNTIME_NODE_INSTALL=true npm rebuild onnxruntime-node/);
  assert.match(text, /webgpu failed: model \| has an op/);
  assert.match(text, /not in this build of onnxruntime-node: dml, coreml/);
  assert.equal((text.match(/^ cpu /gm) ?? []).length, 1, 'one block: only cpu ran');
  assert.match(text, /logits\s+0\.99987\s+38\.2\s+0\.210\s+0\.0340\s+99\.72%/);
  assert.match(text, /top-1 accuracy 98\.89% → 98\.61% \(−0\.28 pt\)\s+top-5 100\.00% → 100\.00% \(±0\.00 pt\)/);
  assert.match(text, /metric margin: 2\.5 → 2\.25 \(−0\.25\)/);
  assert.match(text, /original\s+2\.00\s+2\.40\s+4\.00\s+2\.20\s+500\n/);
  assert.match(text, /quantized\s+1\.25\s+1\.50\s+2\.50\s+1\.38\s+800\n/);
  assert.match(text, /change\s+−37\.5%\s+−37\.5%\s+−37\.5%\s+−37\.5%\s+\+60\.0%/);
  assert.match(text, /speed-up 1\.60× \(95% CI 1\.50–1\.70×\)/);
  assert.match(text, /cost per million inferences at 2\.5\/hour/);
  assert.match(text, /\n\s+8\s+8\.00\s+4\.00\s+1,000\s+2,000\s+2\.00×\s+0\.2500\s+0\.1250\s+\+50\.0%/);
  assert.match(text, /32\s+skipped: the model's batch dimension is fixed at 1/);
  assert.match(text, /original\s+4\.00 MiB\s+12\.5\s+100 MiB\s+40\.0 MiB/);
  assert.match(text, /quantized\s+1\.00 MiB\s+12\.5\s+80\.0 MiB\s+20\.0 MiB/);
  assert.match(text, /change\s+−75\.0%\s+±0\.0%\s+−20\.0%\s+−50\.0%/);
  assert.match(text, /quantized\s+CPUExecutionProvider 9 nodes \(QLinearConv 2, QGemm 7\)/);
  assert.match(text, /pass\s+cpu: top-1 accuracy dropped 0\.28 points\nFAIL\s+cpu, batch 1: speed-up 1\.60× is below the 2× required/);
});

test('colours: faster and smaller in green, slower in red, noise dimmed', () => {
  const level = chalk.level;
  chalk.level = 1;
  try {
    assert.equal(relativeChange(2, 1, true, 0.02), chalk.green('−50.0%'));
    assert.equal(relativeChange(1, 2, true, 0.02), chalk.red('+100.0%'));
    assert.equal(relativeChange(1, 2, false, 0.02), chalk.green('+100.0%'));
    assert.equal(relativeChange(100, 101, true, 0.02), chalk.dim('+1.0%'));
    assert.equal(stripAnsi(relativeChange(0, 1, true, 0.02)), '-');
  } finally {
    chalk.level = level;
  }
  assert.equal(formatPrice(0.0123456), '0.01235');
  assert.equal(formatPrice(1234.5), '1234.50');
  assert.equal(formatPrice(null), '-');
  assert.equal(formatNumber(2.25), '2.25');
  assert.equal(formatNumber(1e-7), '1.000e-7');
});

test('the Markdown report: tables with numeric columns right-aligned, skipped providers, gates and warnings', () => {
  const md = formatBenchMarkdown(report());
  assert.match(md, /^# Benchmark: `model\.onnx` → `model\.int8\.onnx`\n/);
  assert.match(md, /\| quantized \| `\/m\/model\.int8\.onnx` \| 1\.00 MiB \(0\.25×, −75\.0%\) \|/);
  assert.match(md, /\| provider \| status \| reason \|\n\| --- \| --- \| --- \|/);
  assert.match(md, /\| cuda \| skipped \| Failed to load shared library \(run ONNXRUNTIME\\_NODE\\_INSTALL=true npm rebuild onnxruntime-node\) \|/);
  assert.match(md, /\| webgpu \| failed \| model \\\| has an op it cannot run \|/, 'a pipe in a cell is escaped');
  assert.match(md, /\| dml, coreml \| skipped \| not in this build of onnxruntime-node 1\.30\.0 \(linux\/x64\) \|/);
  assert.match(md, /## cpu\n/);
  assert.doesNotMatch(md, /## cuda/);
  assert.match(md, /\| top-1 accuracy \(360 labeled\) \| 98\.89% \| 98\.61% \| −0\.28 pt \|/);
  assert.match(md, /\| top-5 accuracy \| 100\.00% \| 100\.00% \| ±0\.00 pt \|/);
  assert.match(md, /\|  \| median \| p90 \| p99 \| mean \| inferences\/s \|\n\| --- \| ---: \| ---: \| ---: \| ---: \| ---: \|/);
  assert.match(md, /Speed-up \*\*1\.60×\*\* \(95% CI 1\.50–1\.70×\)/);
  assert.match(md, /\| 8 \| 8\.00 \| 4\.00 \| 1,000 \| 2,000 \| 2\.00× \| 0\.2500 \| 0\.1250 \| \+50\.0% \|/);
  assert.match(md, /\| 32 \| skipped: the model's batch dimension is fixed at 1 \|/);
  assert.match(md, /- quantized: CPUExecutionProvider 9 nodes \(QLinearConv 2, QGemm 7\)/);
  assert.match(md, /- \*\*FAIL\*\*: cpu, batch 1: speed-up 1\.60× is below the 2× required/);
  assert.match(md, /## Warnings\n\n- cpu: something to read/);
  assert.equal(mdTable(['a', 'b'], [['x', '1.5 MiB'], ['y', '-']]), '| a | b |\n| --- | ---: |\n| x | 1.5 MiB |\n| y | - |');
});
