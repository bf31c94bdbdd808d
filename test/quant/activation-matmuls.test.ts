// Static INT8 with attention's MatMuls of two activations quantized (the
// activationMatMuls option, measured against dynamic INT8 in npm run bench
// encoder-int8): on the encoder fixture QK^T and AV become integer kernels
// too, and the masked-token logits stay close to float32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { quantizeFile } from '../../src/quant/quantize-file.js';
import { allSamples, openDataset } from '../../src/data/dataset.js';
import { toFeeds } from '../../src/data/to-ort.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';
import { cosine } from '../helpers/fidelity.js';

test('activationMatMuls: attention\'s activation MatMuls quantized as well, logits kept', async () => {
  const dir = makeTempDir();
  const src = join(dir, 'model.onnx');
  copyFileSync(fixturePath('bert-tiny', 'onnx', 'model.onnx'), src);
  const calibrate = fixturePath('bert-tiny', 'calib');
  const plain = await quantizeFile(src, join(dir, 'plain.onnx'), { calibrate });
  const attention = await quantizeFile(src, join(dir, 'attention.onnx'), { calibrate, activationMatMuls: true });
  assert.equal(plain.report.quantized.MatMul, 10);
  assert.equal(attention.report.quantized.MatMul, 14, 'QK^T and AV of both layers too');
  assert.ok(plain.report.float.some((g) => /both inputs are activations/.test(g.reason)));
  assert.ok(!attention.report.float.some((g) => /both inputs are activations/.test(g.reason)));
  const names = ['input_ids', 'attention_mask', 'token_type_ids'];
  const [a, b] = [await ort.InferenceSession.create(src), await ort.InferenceSession.create(join(dir, 'attention.onnx'))];
  for (const s of (await allSamples(openDataset(fixturePath('bert-tiny', 'eval'), names))).slice(0, 8)) {
    const feeds = toFeeds(s.inputs, names);
    const [x, y] = [(await a.run(feeds)).logits!.data as Float32Array, (await b.run(feeds)).logits!.data as Float32Array];
    assert.ok(cosine(x, y) > 0.99, `${s.source}: cosine ${cosine(x, y)}`);
  }
});
