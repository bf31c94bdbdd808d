// Thousands of damaged copies of real models (truncated, bit-flipped,
// overwritten, spliced): each one either loads, or fails with the clean
// ModelFormatError naming the file. Nothing else may escape, nothing may hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { loadModelFromBytes } from '../../src/onnx/load.js';
import { summarizeModel } from '../../src/onnx/summary.js';
import { encodeModelChunks } from '../../src/onnx/encode-chunks.js';
import { ModelFormatError } from '../../src/errors.js';
import { fixturePath } from '../helpers/paths.js';
import { mulberry32 } from '../../src/prng.js';

// A deterministic generator (mulberry32), so a failure can be replayed.
const rng = mulberry32;

const corpus = [
  fixturePath('digits', 'model.onnx'),
  '/usr/share/libonnx-testdata/data/node/test_if/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_loop11/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_scan9_sum/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx',
  '/usr/share/libonnx-testdata/data/node/test_constant/model.onnx',
].filter(existsSync);

function mutate(src: Buffer, rand: () => number): Buffer {
  const b = Buffer.from(src);
  const pos = (): number => Math.floor(rand() * b.length);
  switch (Math.floor(rand() * 5)) {
    case 0: return b.subarray(0, pos()); // truncated
    case 1: { // a few bit flips
      for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) b[pos()]! ^= 1 << Math.floor(rand() * 8);
      return b;
    }
    case 2: { // a run overwritten with random bytes
      const at = pos();
      for (let i = at; i < Math.min(b.length, at + 1 + Math.floor(rand() * 16)); i++) b[i] = Math.floor(rand() * 256);
      return b;
    }
    case 3: { // bytes spliced in
      const at = pos();
      const extra = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 256)));
      return Buffer.concat([b.subarray(0, at), extra, b.subarray(at)]);
    }
    default: { // a run deleted
      const at = pos();
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rand() * 32))]);
    }
  }
}

test('damaged models load or fail cleanly: zero uncaught exceptions', () => {
  assert.ok(corpus.length >= 2);
  const rand = rng(20261126);
  const originals = corpus.map((f) => readFileSync(f));
  const total = 4000;
  let loaded = 0;
  let refused = 0;
  const escaped: string[] = [];
  let slowest = 0;
  for (let i = 0; i < total; i++) {
    const which = i % originals.length;
    const bytes = mutate(originals[which]!, rand);
    const name = `/tmp/fuzz-${i}.onnx`;
    const started = performance.now();
    try {
      const model = loadModelFromBytes(bytes, name);
      summarizeModel(model);
      encodeModelChunks(model.proto);
      for (const t of model.proto.graph!.initializer ?? []) {
        try {
          model.bytes(t);
        } catch (err) {
          if (!(err instanceof ModelFormatError)) throw err;
        }
      }
      loaded++;
    } catch (err) {
      if (err instanceof ModelFormatError && err.message.startsWith(name)) refused++;
      else escaped.push(`#${i} (${corpus[which]}): ${(err as Error)?.stack ?? String(err)}`);
    }
    slowest = Math.max(slowest, performance.now() - started);
  }
  console.log(`fuzz: ${total} damaged models, ${loaded} loaded, ${refused} refused cleanly, ${escaped.length} escaped; slowest ${slowest.toFixed(1)} ms`);
  assert.deepEqual(escaped.slice(0, 5), []);
  assert.equal(loaded + refused, total);
  assert.ok(slowest < 5000, `no input may hang (slowest took ${slowest} ms)`);
});
