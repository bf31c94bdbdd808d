// --method auto against MinMax on a model whose calibration set holds one
// sample that drives one inner tensor 2000× past its usual range: MinMax
// takes that range and flattens every other value; auto clips it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { writeModel } from '../helpers/models.js';
import { outlierCalibration } from '../helpers/planted-models.js';
import { makeTempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli.js';
import { cosine } from '../helpers/fidelity.js';
import { openDataset } from '../../src/data/dataset.js';
import { toFeeds } from '../../src/data/to-ort.js';

const dir = makeTempDir('oq-method-auto-');
const fixture = outlierCalibration(1);
const model = join(dir, 'outlier.onnx');
writeModel(fixture.model, model);
fixture.writeCalibration(join(dir, 'calib'), 16, 1);
fixture.writeSamples(join(dir, 'eval'), 24, 2);

async function meanCosine(quantized: string): Promise<number> {
  const a = await ort.InferenceSession.create(model);
  const b = await ort.InferenceSession.create(quantized);
  let sum = 0;
  let n = 0;
  for await (const s of openDataset(join(dir, 'eval'), ['x']).samples()) {
    const feeds = toFeeds(s.inputs, ['x']);
    const ya = (await a.run(feeds)).y!.data as Float32Array;
    const yb = (await b.run(feeds)).y!.data as Float32Array;
    sum += cosine(ya, yb);
    n++;
  }
  return sum / n;
}

test('one outlier calibration sample: MinMax damages the model, --method auto does not, and says what it clipped', async (t) => {
  const results: Record<string, number> = {};
  for (const method of ['minmax', 'auto']) {
    const out = join(dir, `outlier.${method}.onnx`);
    // --force: MinMax's model is far from the original, which is an error unless forced (the point here is to measure it).
    const r = runCli([model, '--calibrate', join(dir, 'calib'), '--method', method, '-o', out, '--no-bench', '--no-fallback', '--force', '--json']);
    assert.equal(r.code, 0, r.stderr);
    results[method] = await meanCosine(out);
    if (method === 'auto') {
      const report = JSON.parse(r.stdout) as { clipping: Array<{ tensor: string; observed: { max: number }; range: { max: number }; share: number }> };
      const inner = report.clipping.find((c) => c.tensor === 'inner');
      assert.ok(inner, `the inner tensor is reported clipped: ${JSON.stringify(report.clipping)}`);
      assert.ok(inner.observed.max / inner.range.max > 3, `clipped ${inner.observed.max} → ${inner.range.max}`);
      assert.ok(inner.share < 0.01, `share cut ${inner.share}`);
    }
  }
  t.diagnostic(`mean output cosine on 24 evaluation samples: minmax ${results.minmax!.toFixed(5)}, auto ${results.auto!.toFixed(5)}`);
  // This small model keeps cosine 0.99 at best even calibrated on clean samples alone (MinMax): auto must come near that.
  assert.ok(results.minmax! < 0.8, `minmax cosine ${results.minmax}`);
  assert.ok(results.auto! > 0.97, `auto cosine ${results.auto}`);
});
