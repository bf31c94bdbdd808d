import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareModels, modelFileInfo, type CompareResult } from '../../src/bench/compare.js';
import { ndArrayToTensor } from '../../src/data/to-ort.js';
import { openDataset, type Sample } from '../../src/data/dataset.js';
import { SampleMismatchError } from '../../src/data/errors.js';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { RuntimeFailure } from '../../src/errors.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { convNet, writeModel, writeSamples } from '../helpers/models.js';

const MODEL = fixturePath('digits', 'model.onnx');
const EVAL = fixturePath('digits', 'eval');
const LATENCY = { warmupRuns: 2, minRuns: 5, minTimeMs: 50 };
const tmp = makeTempDir('oq-compare-');

function digitsLabels(): Map<string, number> {
  return new Map(Object.entries(JSON.parse(readFileSync(join(EVAL, 'labels.json'), 'utf8')) as Record<string, number>));
}

/** A copy of the digits model with fc1's weight multiplied by (1 + 1.5·u), u uniform with variance 1. */
function damagedCopy(out: string): void {
  const model = loadModel(MODEL);
  const init = model.proto.graph!.initializer!.find((t) => (t.name ?? '').includes('fc1') && (t.dims ?? []).length === 2);
  assert.ok(init, 'fc1 weight initializer');
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

let self: CompareResult | undefined;

test('the digits model against itself: identical outputs, no accuracy drop', async () => {
  const dataset = openDataset(EVAL, ['input']);
  let progress = 0;
  const r = await compareModels({
    original: MODEL,
    quantized: MODEL,
    dataset,
    labels: digitsLabels(),
    session: { intraOpNumThreads: 1 },
    latency: LATENCY,
    onProgress: (done, total) => {
      progress = done;
      assert.equal(total, 360);
    },
  });
  self = r;
  assert.equal(progress, 360);
  assert.equal(r.samples, 360);
  assert.equal(r.sizeRatio, 1);
  assert.equal(r.original.bytes, modelFileInfo(MODEL).bytes);
  assert.equal(r.outputs.length, 1);
  const o = r.outputs[0]!;
  assert.equal(o.name, 'logits');
  assert.equal(o.cosine, 1);
  assert.equal(o.sqnrDb, null);
  assert.equal(o.maxAbsError, 0);
  assert.equal(o.meanAbsError, 0);
  assert.equal(o.top1Agreement, 1);
  assert.equal(o.elements, 3600);
  assert.equal(o.nonFinite, 0);
  assert.ok(r.accuracy);
  assert.equal(r.accuracy.labeled, 360);
  assert.equal(r.accuracy.output, 'logits');
  assert.equal(Math.round(r.accuracy.original * 360), 356, 'the fixture README says 356/360');
  assert.equal(r.accuracy.quantized, r.accuracy.original);
  assert.equal(r.accuracy.drop, 0);
  const l = r.latency;
  assert.ok(l.original.median > 0 && l.quantized.median > 0);
  assert.ok(l.original.runs >= 5 && l.quantized.runs === l.original.runs);
  assert.ok(l.speedup >= 0.5 && l.speedup <= 2, `speedup ${l.speedup}`);
  assert.equal(l.threads, 1);
  assert.equal(l.batch, 1);
  assert.deepEqual(l.providers, ['cpu']);
  assert.match(l.sample, /sample_000\.npz$/);
  // plain data: survives JSON unchanged
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

test('a damaged copy shows lower cosine, finite SQNR and an accuracy drop', async () => {
  const damaged = join(tmp, 'damaged.onnx');
  damagedCopy(damaged);
  const r = await compareModels({
    original: MODEL,
    quantized: damaged,
    dataset: openDataset(EVAL, ['input']),
    labels: digitsLabels(),
    latency: LATENCY,
  });
  const o = r.outputs[0]!;
  assert.ok(o.cosine < 0.999, `cosine ${o.cosine}`);
  assert.ok(o.cosine < (self?.outputs[0]?.cosine ?? 1));
  assert.ok(o.sqnrDb !== null && Number.isFinite(o.sqnrDb) && o.sqnrDb < 30, `sqnr ${o.sqnrDb}`);
  assert.ok(o.maxAbsError > 0 && o.meanAbsError > 0);
  assert.ok(o.top1Agreement !== undefined && o.top1Agreement < 1);
  assert.ok(r.accuracy && r.accuracy.drop > 0, `drop ${r.accuracy?.drop}`);
  assert.ok(r.accuracy.quantized < r.accuracy.original);
  assert.ok(Math.abs(r.accuracy.drop - (r.accuracy.original - r.accuracy.quantized) * 100) < 1e-9);
});

test('labels that name no sample leave accuracy out with a reason', async () => {
  const dataset = openDataset(EVAL, ['input']);
  const few: Sample[] = [];
  for await (const s of dataset.samples()) {
    few.push(s);
    if (few.length === 3) break;
  }
  const r = await compareModels({
    original: MODEL,
    quantized: MODEL,
    dataset: few,
    labels: new Map([['other.npz', 1]]),
    latency: { warmupRuns: 0, minRuns: 2, minTimeMs: 0 },
  });
  assert.equal(r.samples, 3);
  assert.equal(r.accuracy, undefined);
  assert.match(r.accuracySkipped ?? '', /no sample file name is in the labels/);
  // Samples without labels of their own (the dataset reads labels.json into each sample) and no labels given: no accuracy.
  assert.ok(few.every((s) => typeof s.label === 'number'));
  const r2 = await compareModels({
    original: MODEL, quantized: MODEL, dataset: few.map((s) => ({ source: s.source, inputs: s.inputs })), latency: { warmupRuns: 0, minRuns: 2, minTimeMs: 0 },
  });
  assert.equal(r2.accuracy, undefined);
  assert.equal(r2.accuracySkipped, undefined);
});

test('a sample that does not fit the model names the file; an empty dataset and a bad model are refused', async () => {
  const bad: Sample = {
    source: 'bad.npz',
    inputs: new Map([['input', { dtype: 'float32', shape: [1, 1, 4, 4], data: new Float32Array(16) }]]),
  };
  await assert.rejects(
    compareModels({ original: MODEL, quantized: MODEL, dataset: [bad] }),
    (e: unknown) => e instanceof SampleMismatchError && /bad\.npz/.test(e.message));
  const missing: Sample = { source: 'm.npz', inputs: new Map() };
  await assert.rejects(compareModels({ original: MODEL, quantized: MODEL, dataset: [missing] }), SampleMismatchError);
  await assert.rejects(compareModels({ original: MODEL, quantized: MODEL, dataset: [] }), RuntimeFailure);
  const junk = join(tmp, 'junk.onnx');
  writeFileSync(junk, 'not a model');
  await assert.rejects(compareModels({ original: MODEL, quantized: junk, dataset: [] }),
    (e: unknown) => e instanceof RuntimeFailure && e.message.includes('junk.onnx'));
});

test('float16 inputs and outputs are fed and compared', async () => {
  const g = convNet(3, { fp16: true });
  const file = join(tmp, 'fp16.onnx');
  writeModel(g.model, file);
  const dir = join(tmp, 'fp16-samples');
  writeSamples(dir, g, 4, 11);
  const r = await compareModels({
    original: file,
    quantized: file,
    dataset: openDataset(dir, ['x']),
    latency: { warmupRuns: 0, minRuns: 2, minTimeMs: 0 },
  });
  assert.equal(r.samples, 4);
  assert.equal(r.outputs[0]!.name, 'y');
  assert.equal(r.outputs[0]!.cosine, 1);
  assert.equal(r.outputs[0]!.elements, 40);
  assert.equal(r.outputs[0]!.top1Agreement, 1);
});

test('ndArrayToTensor keeps dtype, shape and data for every sample dtype', () => {
  const cases = [
    { dtype: 'float32', data: Float32Array.of(1, 2) },
    { dtype: 'float64', data: Float64Array.of(1, 2) },
    { dtype: 'float16', data: Uint16Array.of(0x3c00, 0x4000) },
    { dtype: 'int64', data: BigInt64Array.of(1n, 2n) },
    { dtype: 'int32', data: Int32Array.of(1, 2) },
    { dtype: 'int8', data: Int8Array.of(1, 2) },
    { dtype: 'uint8', data: Uint8Array.of(1, 2) },
    { dtype: 'bool', data: Uint8Array.of(1, 0) },
  ] as const;
  for (const c of cases) {
    const t = ndArrayToTensor({ dtype: c.dtype, shape: [1, 2], data: c.data });
    assert.equal(t.type, c.dtype);
    assert.deepEqual(t.dims, [1, 2]);
    assert.equal(t.data, c.data);
  }
});
