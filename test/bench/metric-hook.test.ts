import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { MetricAccumulator, loadMetric, type CustomMetric } from '../../src/bench/metric-hook.js';
import { RuntimeFailure, UsageError } from '../../src/errors.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('oq-metric-');
const tensor = (...v: number[]): Record<string, ort.Tensor> => ({ y: new ort.Tensor('float32', Float32Array.from(v), [1, v.length]) });
const sample = (source: string, label?: number) => ({ source, inputs: {}, ...(label !== undefined ? { label } : {}) });

test('a metric module: default export, optional name and direction; bad modules are clear errors', async () => {
  const file = join(tmp, 'margin.mjs');
  writeFileSync(file, 'export default (outputs, sample) => outputs.y.data[sample.label];\nexport const higherIsBetter = false;\n');
  const m = await loadMetric(file);
  assert.equal(m.name, 'margin');
  assert.equal(m.higherIsBetter, false);
  assert.equal(await m.fn(tensor(3, 4), sample('a', 1)), 4);

  const named = join(tmp, 'named.mjs');
  writeFileSync(named, 'export function metric() { return { a: 1 }; }\nexport const name = "iou";\n');
  const n = await loadMetric(named);
  assert.equal(n.name, 'iou');
  assert.equal(n.higherIsBetter, true);

  await assert.rejects(loadMetric(join(tmp, 'missing.mjs')), (e: unknown) => e instanceof UsageError && /no such file/.test(e.message));
  const noFn = join(tmp, 'nofn.mjs');
  writeFileSync(noFn, 'export const x = 1;\n');
  await assert.rejects(loadMetric(noFn), (e: unknown) => e instanceof UsageError && /must export a function/.test(e.message));
  const broken = join(tmp, 'broken.mjs');
  writeFileSync(broken, 'throw new Error("boom");\n');
  await assert.rejects(loadMetric(broken), (e: unknown) => e instanceof RuntimeFailure && /boom/.test(e.message));
});

test('the accumulator averages each key per model, skips undefined, and refuses non-numbers naming the sample', async () => {
  const metric: CustomMetric = {
    name: 'score', higherIsBetter: true,
    fn: (outputs, s) => (s.source === 'skip' ? undefined : { first: (outputs.y!.data as Float32Array)[0]!, label: typeof s.label === 'number' ? s.label : -1 }),
  };
  const acc = new MetricAccumulator(metric);
  await acc.add('original', tensor(1), sample('s0', 3));
  await acc.add('quantized', tensor(2), sample('s0', 3));
  await acc.add('original', tensor(3), sample('s1', 5));
  await acc.add('quantized', tensor(3), sample('s1', 5));
  await acc.add('original', tensor(100), sample('skip'));
  const r = acc.result();
  assert.equal(r.name, 'score');
  const first = r.values.find((v) => v.key === 'first')!;
  assert.equal(first.original, 2);
  assert.equal(first.quantized, 2.5);
  assert.equal(first.delta, 0.5);
  assert.equal(first.samples, 2);
  assert.equal(r.values.find((v) => v.key === 'label')!.original, 4);

  const plain = new MetricAccumulator({ name: 'p', higherIsBetter: true, fn: () => 7 });
  await plain.add('original', tensor(0), sample('a'));
  await plain.add('quantized', tensor(0), sample('a'));
  assert.deepEqual(plain.result().values.map((v) => v.key), ['p']);

  const bad = new MetricAccumulator({ name: 'bad', higherIsBetter: true, fn: () => ({ x: Number.NaN }) });
  await assert.rejects(bad.add('original', tensor(0), sample('eval/s7.npz')), (e: unknown) => e instanceof RuntimeFailure && /s7\.npz/.test(e.message));
  const throws = new MetricAccumulator({ name: 't', higherIsBetter: true, fn: () => { throw new Error('oops'); } });
  await assert.rejects(throws.add('quantized', tensor(0), sample('s9')), /metric 't' failed on sample s9 \(quantized model\): oops/);
});
