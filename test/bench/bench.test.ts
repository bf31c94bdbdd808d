import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { benchModels, providerMatches, type BenchReport } from '../../src/bench/bench.js';
import { openDataset } from '../../src/data/dataset.js';
import { RuntimeFailure, UsageError } from '../../src/errors.js';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import type { CustomMetric } from '../../src/bench/metric-hook.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { schemaErrors } from './schema.js';

const MODEL = fixturePath('digits', 'model.onnx');
const EVAL = fixturePath('digits', 'eval');
const LATENCY = { warmupRuns: 1, minRuns: 5, minTimeMs: 30 };
const MEMORY = { runs: 2, warmupRuns: 1 };
const tmp = makeTempDir('oq-bench-');

const labels = (): Map<string, number> =>
  new Map(Object.entries(JSON.parse(readFileSync(join(EVAL, 'labels.json'), 'utf8')) as Record<string, number>));

function cudaLibraryInstalled(): boolean {
  const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
  return readdirSync(bin).some((napi) => existsSync(join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')));
}

/** A copy of the digits model with fc1's weight perturbed (as in compare.test.ts). */
function damagedCopy(out: string): void {
  const model = loadModel(MODEL);
  const init = model.proto.graph!.initializer!.find((t) => (t.name ?? '').includes('fc1') && (t.dims ?? []).length === 2)!;
  const w = model.float32(init).slice();
  let s = 12345;
  for (let i = 0; i < w.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    w[i] = w[i]! * (1 + 1.5 * (s / 2 ** 32 * 2 - 1) * Math.sqrt(3));
  }
  init.rawData = new Uint8Array(w.buffer);
  saveModel(model.proto, out, { source: model });
  model.close();
}

/** The label's row is the argmax: 1, else 0 (a top-1 accuracy computed outside the tool). */
const correct: CustomMetric = {
  name: 'correct',
  higherIsBetter: true,
  fn: (outputs, sample) => {
    if (typeof sample.label !== 'number') return undefined;
    const d = outputs.logits!.data as Float32Array;
    let best = 0;
    for (let i = 1; i < d.length; i++) if (d[i]! > d[best]!) best = i;
    return best === sample.label ? 1 : 0;
  },
};

let selfReport: BenchReport | undefined;

test('the digits model against itself: identical outputs, speed-up near 1, memory and placement per model, a valid report', async () => {
  const stages = new Set<string>();
  const r = await benchModels({
    original: MODEL, quantized: MODEL, dataset: openDataset(EVAL, ['input']), dataSource: EVAL,
    labels: labels(), labelsFile: join(EVAL, 'labels.json'),
    providers: ['cpu', 'cuda'], threads: 1, batchSizes: [1, 4], pricePerHour: 2.5,
    latency: LATENCY, memory: MEMORY, metric: correct,
    gates: { maxAccuracyDrop: 0, minSpeedup: 0.5 },
    onProgress: (e) => stages.add(e.stage),
  });
  selfReport = r;
  assert.deepEqual(schemaErrors(r), []);
  assert.deepEqual([...stages].sort(), ['compare', 'memory', 'probe']);
  assert.equal(r.sizeRatio, 1);
  assert.equal(r.data.samples, 360);
  assert.deepEqual(r.providers.map((p) => p.name), ['cpu', 'cuda']);
  const cpu = r.providers[0]!;
  assert.equal(cpu.status, 'ran');
  const o = cpu.outputs![0]!;
  assert.equal(o.cosine, 1);
  assert.equal(o.sqnrDb, null, 'infinite SQNR is reported as null');
  assert.equal(o.maxAbsError, 0);
  assert.equal(o.top1Agreement, 1);
  assert.equal(cpu.accuracy!.drop, 0);
  assert.ok(cpu.accuracy!.top5, 'top-5 for 10 classes');
  assert.ok(cpu.accuracy!.top5.original >= cpu.accuracy!.original);
  // the custom metric, computed outside the tool, agrees with the built-in top-1 accuracy
  const c = cpu.custom!.values[0]!;
  assert.equal(c.samples, 360);
  assert.ok(Math.abs(c.original - cpu.accuracy!.original) < 1e-12);
  assert.equal(c.delta, 0);

  const l = cpu.latency!;
  assert.ok(l.speedup > 0.5 && l.speedup < 2, `speed-up ${l.speedup}`);
  assert.equal(l.threads, 1);
  assert.ok(l.original.runs >= LATENCY.minRuns);
  assert.deepEqual(cpu.batches!.map((b) => b.batch), [1, 4]);
  const b4 = cpu.batches![1]!;
  assert.ok(b4.original && b4.quantized && b4.speedup);
  assert.ok(Math.abs(b4.original.throughput - 4000 / b4.original.median) < 1e-6);
  assert.deepEqual(cpu.cost!.map((k) => k.batch), [1, 4]);
  for (const k of cpu.cost!) {
    const b = cpu.batches!.find((x) => x.batch === k.batch)!;
    assert.ok(Math.abs(k.original! * b.original!.throughput * 3600 / 1e6 - 2.5) < 1e-9);
    assert.ok(Math.abs(k.saving! - (1 - k.quantized! / k.original!)) < 1e-12);
  }

  const m = cpu.memory!;
  for (const x of [m.original, m.quantized]) {
    assert.ok(x.loadMs > 0 && x.peakRssBytes > x.baselineRssBytes);
    assert.equal(x.runs, MEMORY.runs);
    assert.deepEqual(x.placement!.map((p) => p.provider), ['CPUExecutionProvider']);
  }
  assert.deepEqual(m.original.placement, m.quantized.placement, 'the same model places the same nodes');

  const cuda = r.providers[1]!;
  if (!cudaLibraryInstalled()) {
    assert.equal(cuda.status, 'skipped');
    assert.match(cuda.reason!, /Failed to load shared library/);
    assert.equal(cuda.latency, undefined);
  }
  assert.deepEqual(r.gates.map((g) => [g.gate, g.provider, g.passed]),
    [['max-accuracy-drop', 'cpu', true], ['min-speedup', 'cpu', true], ['min-speedup', 'cpu', true]]);
  assert.equal(r.warnings.length, 0);
});

test('a damaged model shows lower fidelity and fails the accuracy gate', async () => {
  const damaged = join(tmp, 'damaged.onnx');
  damagedCopy(damaged);
  const r = await benchModels({
    original: MODEL, quantized: damaged, dataset: openDataset(EVAL, ['input']), labels: labels(),
    providers: ['cpu'], latency: LATENCY, memory: false, gates: { maxAccuracyDrop: 0.5 },
  });
  assert.deepEqual(schemaErrors(r), []);
  const cpu = r.providers[0]!;
  assert.ok(cpu.outputs![0]!.cosine < (selfReport?.providers[0]?.outputs?.[0]?.cosine ?? 1));
  assert.ok(cpu.outputs![0]!.sqnrDb !== null && cpu.outputs![0]!.sqnrDb < 30);
  assert.ok(cpu.accuracy!.drop > 0.5, `drop ${cpu.accuracy!.drop}`);
  assert.equal(cpu.memory, undefined);
  assert.equal(cpu.memorySkipped, 'not asked for');
  assert.equal(r.gates.length, 1);
  assert.equal(r.gates[0]!.passed, false);
  assert.match(r.warnings.join('\n'), /cpu: output 'logits' cosine/);
});

/** x [batch, 4] → MatMul [4, 3] → y [batch, 3], with a fixed or a symbolic batch dimension. */
function tinyModel(file: string, batch: number | string, input = 'x'): void {
  writeFileSync(file, encodeModel(makeModel(makeGraph({
    nodes: [makeNode('MatMul', [input, 'w'], ['y'], 'mm')],
    inputs: [makeValueInfo(input, DataType.FLOAT, [batch, 4])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [batch, 3])],
    initializers: [makeTensor('w', [4, 3], Float32Array.from({ length: 12 }, (_, i) => i / 10 - 0.5))],
  }))));
}

/** The first 3 digits evaluation samples. */
async function tinyDigits() {
  const out = [];
  for await (const sample of openDataset(EVAL, ['input']).samples()) {
    out.push(sample);
    if (out.length === 3) break;
  }
  return out;
}

const tinySamples = (name = 'x', n = 3) => Array.from({ length: n }, (_, i) => ({
  source: `s${i}.npz`,
  inputs: new Map([[name, { dtype: 'float32' as const, shape: [1, 4], data: Float32Array.of(i, 1, 2, 3) }]]),
}));

test('batch sizes a fixed batch dimension does not allow are skipped with the reason; --batch on one is refused', async () => {
  const fixed = join(tmp, 'fixed.onnx');
  tinyModel(fixed, 1);
  const r = await benchModels({
    original: fixed, quantized: fixed, dataset: tinySamples(), providers: ['cpu'], batchSizes: [1, 2], pricePerHour: 1,
    latency: LATENCY, memory: false,
  });
  assert.deepEqual(schemaErrors(r), []);
  const batches = r.providers[0]!.batches!;
  assert.ok(batches[0]!.original);
  assert.equal(batches[1]!.original, undefined);
  assert.match(batches[1]!.skipped!, /fixed at 1/);
  assert.deepEqual(r.providers[0]!.cost!.map((c) => c.batch), [1]);
  await assert.rejects(benchModels({ original: fixed, quantized: fixed, dataset: tinySamples(), providers: ['cpu'], batch: 2, latency: LATENCY, memory: false }),
    (e: unknown) => e instanceof UsageError && /batch 2: the model's batch dimension is fixed at 1/.test(e.message));

  // a dynamic batch axis: --batch 5 repeats the 3 samples' rows, memory runs at that batch too
  const dynamic = join(tmp, 'dynamic.onnx');
  tinyModel(dynamic, 'N');
  const d = await benchModels({ original: dynamic, quantized: dynamic, dataset: tinySamples(), providers: ['cpu'], batch: 5, latency: LATENCY, memory: MEMORY });
  assert.equal(d.providers[0]!.latency!.batch, 5);
  assert.equal(d.settings.batch, 5);
  assert.ok(d.providers[0]!.memory!.quantized.peakRssBytes > 0);
});

test('models with different inputs, a file that is not a model, and no provider that starts are clear errors', async () => {
  const a = join(tmp, 'a.onnx');
  const b = join(tmp, 'b.onnx');
  tinyModel(a, 'N', 'x');
  tinyModel(b, 'N', 'features');
  await assert.rejects(benchModels({ original: a, quantized: b, dataset: tinySamples(), providers: ['cpu'], latency: LATENCY, memory: false }),
    (e: unknown) => e instanceof RuntimeFailure && /different inputs/.test(e.message) && e.message.includes('features'));
  const junk = join(tmp, 'junk.onnx');
  writeFileSync(junk, 'hello');
  await assert.rejects(benchModels({ original: a, quantized: junk, dataset: tinySamples(), providers: ['cpu'] }),
    (e: unknown) => e instanceof Error && (e as { exitCode?: number }).exitCode === 1 && e.message.includes('junk.onnx'));
  if (!cudaLibraryInstalled()) {
    await assert.rejects(benchModels({ original: a, quantized: a, dataset: tinySamples(), providers: ['cuda'] }),
      (e: unknown) => e instanceof RuntimeFailure && /no execution provider could run the models: cuda: .*Failed to load shared library/.test(e.message));
  }
});

test('the size on disk counts external data files, and a model with external data is benched like any other', async () => {
  const folder = join(tmp, 'external');
  mkdirSync(folder);
  const file = join(folder, 'model.onnx');
  const model = loadModel(MODEL);
  saveModel(model.proto, file, { source: model, externalData: true });
  model.close();
  const files = readdirSync(folder);
  assert.ok(files.length >= 2, `side file written: ${files.join(', ')}`);
  const total = files.reduce((sum, f) => sum + statSync(join(folder, f)).size, 0);
  const r = await benchModels({ original: MODEL, quantized: file, dataset: await tinyDigits(), providers: ['cpu'], latency: LATENCY, memory: MEMORY });
  assert.equal(r.quantized.bytes, total);
  assert.ok(r.quantized.bytes > statSync(file).size);
  assert.equal(r.providers[0]!.outputs![0]!.cosine, 1);
  assert.ok(r.providers[0]!.memory!.quantized.loadMs > 0);
});

test('ORT provider names match the short names', () => {
  assert.ok(providerMatches('cuda', 'CUDAExecutionProvider'));
  assert.ok(providerMatches('webgpu', 'WebGpuExecutionProvider'));
  assert.ok(providerMatches('cpu', 'CPUExecutionProvider'));
  assert.ok(!providerMatches('cuda', 'CPUExecutionProvider'));
});
