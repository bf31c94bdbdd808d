// Every model of Debian's libonnx-testdata (onnx's backend node tests) must
// decode, and re-encode to the same bytes (or, where the encoder packs
// differently, to the same decoded content), through the real save path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { onnx } from '../../src/onnx/proto.js';
import { makeTempDir } from '../helpers/tmp.js';

const CORPUS = '/usr/share/libonnx-testdata';

function findModels(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) findModels(p, out);
    else if (entry.endsWith('.onnx')) out.push(p);
  }
  return out;
}

test('every libonnx-testdata model loads and saves losslessly', (t) => {
  assert.ok(existsSync(CORPUS), `${CORPUS} is missing: apt-get install libonnx-testdata (.ci/run does)`);
  const models = findModels(CORPUS).sort();
  assert.ok(models.length > 1000, `expected about a thousand models, found ${models.length}`);
  const dir = makeTempDir();
  const out = join(dir, 'out.onnx');
  let identical = 0;
  let sameContent = 0;
  const failures: string[] = [];
  for (const file of models) {
    try {
      const model = loadModel(file);
      saveModel(model.proto, out, { source: model });
      const original = readFileSync(file);
      const saved = readFileSync(out);
      if (original.equals(saved)) identical++;
      else {
        const a = onnx.ModelProto.encode(onnx.ModelProto.decode(original)).finish();
        const b = onnx.ModelProto.encode(onnx.ModelProto.decode(saved)).finish();
        if (Buffer.from(a).equals(Buffer.from(b))) sameContent++;
        else failures.push(`${file}: content differs`);
      }
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message}`);
    }
  }
  t.diagnostic(`libonnx-testdata: ${models.length} models, ${identical} byte-identical, ${sameContent} same content, ${failures.length} failed`);
  assert.deepEqual(failures, []);
  assert.equal(identical + sameContent, models.length);
});
