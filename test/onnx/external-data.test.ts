// External data: saving to one aligned side file, loading it back lazily,
// running it in ONNX Runtime from its path, and clean errors for broken
// references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { isExternal, parseExternalRef } from '../../src/onnx/external-data.js';
import { ModelFormatError } from '../../src/errors.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir();
const digits = fixturePath('digits', 'model.onnx');

async function runDigits(path: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path);
  const x = new Float32Array(64).map((_, i) => (i % 7) / 7);
  const out = await session.run({ input: new ort.Tensor('float32', x, [1, 1, 8, 8]) });
  await session.release();
  return out.logits!.data as Float32Array;
}

test('a model saved with external data loads back identical and runs in ONNX Runtime from its path', async () => {
  const original = loadModel(digits);
  const out = join(dir, 'digits.ext.onnx');
  const result = saveModel(original.proto, out, { externalData: true, source: original });
  assert.equal(result.externalFile, `${out}.data`);
  assert.ok(existsSync(`${out}.data`));
  assert.ok(statSync(out).size < 10_000, 'the weights left the .onnx file');

  const reloaded = loadModel(out);
  const before = original.proto.graph!.initializer!;
  const after = reloaded.proto.graph!.initializer!;
  assert.equal(after.length, before.length);
  let external = 0;
  for (let i = 0; i < before.length; i++) {
    if (isExternal(after[i]!)) {
      external++;
      const ref = parseExternalRef(after[i]!, out);
      const alignment = ref.length >= 1024 * 1024 ? 65536 : 16;
      assert.equal(ref.offset % alignment, 0, `${after[i]!.name} is aligned`);
    }
    assert.deepEqual(Buffer.from(reloaded.bytes(after[i]!)), Buffer.from(original.bytes(before[i]!)), `${before[i]!.name} has the same bytes`);
  }
  assert.equal(external, before.filter((t) => original.bytes(t).length >= 1024).length, 'every weight of 1 KiB or more is external');
  assert.deepEqual(await runDigits(out), await runDigits(digits));

  // And back to one inline file: the same bytes as the original.
  const inline = join(dir, 'digits.inline.onnx');
  saveModel(reloaded.proto, inline, { source: reloaded, externalData: false });
  reloaded.close();
  assert.deepEqual(readFileSync(inline), readFileSync(digits));
});

test('a missing side file or an offset past its end is a clean error naming the file', () => {
  const original = loadModel(digits);
  const out = join(dir, 'broken.onnx');
  saveModel(original.proto, out, { externalData: true, source: original });
  const side = `${out}.data`;
  const size = statSync(side).size;
  truncateSync(side, Math.floor(size / 2));
  assert.throws(() => loadModel(out), (e: unknown) =>
    e instanceof ModelFormatError && e.message.startsWith(out) && /past the end/.test(e.message));
  // The .onnx without its side file, in a folder of its own.
  const other = join(dir, 'other.onnx');
  saveModel(original.proto, other, { externalData: true, source: original, externalDataName: 'weights.bin' });
  const lonelyDir = makeTempDir();
  copyFileSync(other, join(lonelyDir, 'lonely.onnx'));
  assert.throws(() => loadModel(join(lonelyDir, 'lonely.onnx')), (e: unknown) =>
    e instanceof ModelFormatError && e.message.startsWith(join(lonelyDir, 'lonely.onnx')) && /weights\.bin/.test(e.message) && /missing/.test(e.message));
});

test('external data locations outside the model folder are refused', () => {
  const original = loadModel(digits);
  const out = join(dir, 'escape.onnx');
  assert.throws(() => saveModel(original.proto, out, { externalData: true, source: original, externalDataName: '../x.bin' }));
});

test('by default a model loaded with external data is saved with external data; an inline one stays inline', async () => {
  const original = loadModel(digits);
  const ext = join(dir, 'digits.default-ext.onnx');
  saveModel(original.proto, ext, { externalData: true, source: original });
  const reloaded = loadModel(ext);
  const again = join(dir, 'digits.default-again.onnx');
  const result = saveModel(reloaded.proto, again, { source: reloaded });
  reloaded.close();
  assert.ok(result.externalFile && existsSync(result.externalFile), 'a side file is written');
  assert.equal(result.autoExternal, undefined, 'not because of the 2 GB limit');
  assert.deepEqual(await runDigits(again), await runDigits(digits));
  const inline = join(dir, 'digits.default-inline.onnx');
  assert.equal(saveModel(original.proto, inline, { source: original }).externalFile, undefined);
  original.close();
});
