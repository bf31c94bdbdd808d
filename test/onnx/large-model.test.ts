// Past 2 GB: a model whose tensors total 2.2 GiB (held in a sparse side file,
// so the test neither fills memory nor disk) is saved with external data and
// reloaded without ever holding a 2 GB Buffer; and a model whose inline
// protobuf would pass 2 GB is switched to external data automatically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo, encodeModel } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { parseExternalRef } from '../../src/onnx/external-data.js';
import { DataLocation, onnx, toLong } from '../../src/onnx/proto.js';
import { makeTempDir } from '../helpers/tmp.js';
import { peakRssBytes } from '../../src/bench/peak-rss.js';

const dir = makeTempDir('oq-large-');
const TENSOR_BYTES = 560 * 1024 * 1024;
const COUNT = 4; // 2240 MiB in all

function marker(i: number, end: boolean): Buffer {
  return Buffer.from(`${end ? 'END' : 'BEG'}-tensor-${i}-`.padEnd(16, '.'));
}

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

test('a 2.2 GiB model streams through save and reload with bounded memory', { timeout: 120_000 }, () => {
  const side = join(dir, 'big.bin');
  writeFileSync(side, '');
  truncateSync(side, TENSOR_BYTES * COUNT); // sparse: no disk, no memory
  const fd = openSync(side, 'r+');
  for (let i = 0; i < COUNT; i++) {
    writeSync(fd, marker(i, false), 0, 16, i * TENSOR_BYTES);
    writeSync(fd, marker(i, true), 0, 16, (i + 1) * TENSOR_BYTES - 16);
  }
  closeSync(fd);
  const initializers = Array.from({ length: COUNT }, (_, i) => new onnx.TensorProto({
    name: `w${i}`, dims: [toLong(TENSOR_BYTES / 4)], dataType: DataType.FLOAT, dataLocation: DataLocation.EXTERNAL,
    externalData: [{ key: 'location', value: 'big.bin' }, { key: 'offset', value: String(i * TENSOR_BYTES) }, { key: 'length', value: String(TENSOR_BYTES) }],
  }));
  const graph = makeGraph({ nodes: [makeNode('Identity', ['x'], ['y'])], inputs: [makeValueInfo('x', DataType.FLOAT, [1])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1])], initializers });
  const src = join(dir, 'big.onnx');
  writeFileSync(src, encodeModel(makeModel(graph)));

  const model = loadModel(src);
  const out = join(dir, 'copy.onnx');
  const result = saveModel(model.proto, out, { source: model }); // 'auto': inline would pass 2 GB
  model.close();
  assert.equal(result.autoExternal, true, 'switched to external data by itself');
  assert.ok(statSync(result.externalFile!).size >= TENSOR_BYTES * COUNT);

  const back = loadModel(out);
  for (const [i, t] of back.proto.graph!.initializer!.entries()) {
    const ref = parseExternalRef(t, out);
    assert.equal(ref.length, TENSOR_BYTES);
    assert.deepEqual(readAt(result.externalFile!, ref.offset, 16), marker(i, false));
    assert.deepEqual(readAt(result.externalFile!, ref.offset + TENSOR_BYTES - 16, 16), marker(i, true));
  }
  back.close();
  const peakMiB = peakRssBytes() / (1024 * 1024);
  console.log(`2.2 GiB external model: saved and reloaded with peak RSS ${peakMiB.toFixed(0)} MiB`);
  assert.ok(peakMiB < 1024, `peak RSS ${peakMiB} MiB stays far below the model's size`);
});

test('an inline model that would pass 2 GB is saved with external data automatically', { timeout: 120_000 }, () => {
  // Five tensors viewing one 450 MiB buffer: 2.2 GiB of inline raw_data, 450 MiB of memory.
  const shared = new Float32Array((450 * 1024 * 1024) / 4);
  shared[0] = 1.5;
  shared[shared.length - 1] = -2.5;
  const initializers = Array.from({ length: 5 }, (_, i) => makeTensor(`w${i}`, [shared.length], shared));
  const graph = makeGraph({ nodes: [makeNode('Identity', ['x'], ['y'])], inputs: [makeValueInfo('x', DataType.FLOAT, [1])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1])], initializers });
  const out = join(dir, 'inline-big.onnx');
  const result = saveModel(makeModel(graph), out);
  assert.equal(result.autoExternal, true);
  assert.ok(existsSync(`${out}.data`));
  assert.ok(statSync(out).size < 4096);
  const back = loadModel(out);
  const t = back.proto.graph!.initializer![4]!;
  const ref = parseExternalRef(t, out);
  assert.equal(readAt(`${out}.data`, ref.offset, 4).readFloatLE(0), 1.5);
  assert.equal(readAt(`${out}.data`, ref.offset + ref.length - 4, 4).readFloatLE(0), -2.5);
  back.close();
});
