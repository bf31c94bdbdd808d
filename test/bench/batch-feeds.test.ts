import { test } from 'node:test';
import assert from 'node:assert/strict';
import type ort from 'onnxruntime-node';
import { RowCollector, batchAxisOf, batchRefusal, stackRows } from '../../src/bench/batch-feeds.js';
import type { NdArray } from '../../src/data/ndarray.js';

const meta = (name: string, shape: Array<number | string>): ort.InferenceSession.ValueMetadata =>
  ({ name, isTensor: true, type: 'float32', shape }) as ort.InferenceSession.ValueMetadata;

test('the batch axis: dynamic when every first dimension is symbolic, fixed when all agree, else none', () => {
  assert.deepEqual(batchAxisOf([meta('a', ['N', 3]), meta('b', ['batch'])]), { kind: 'dynamic' });
  assert.deepEqual(batchAxisOf([meta('a', [2, 3]), meta('b', [2])]), { kind: 'fixed', size: 2 });
  assert.equal(batchAxisOf([meta('a', [2, 3]), meta('b', [3])]).kind, 'none');
  assert.equal(batchAxisOf([meta('a', ['N', 3]), meta('b', [3])]).kind, 'none');
  assert.equal(batchAxisOf([meta('a', [])]).kind, 'none');
  assert.equal(batchRefusal({ kind: 'dynamic' }, 32), undefined);
  assert.equal(batchRefusal({ kind: 'fixed', size: 1 }, 1), undefined);
  assert.match(batchRefusal({ kind: 'fixed', size: 1 }, 8) ?? '', /fixed at 1/);
});

const rows = (dtype: 'float32' | 'int64', n: number, width: number, start = 0): NdArray => {
  const data = dtype === 'float32'
    ? Float32Array.from({ length: n * width }, (_, i) => start + i)
    : BigInt64Array.from({ length: n * width }, (_, i) => BigInt(start + i));
  return { dtype, shape: [n, width], data };
};

test('rows are stacked in order and repeated from the start when there are fewer than the batch', () => {
  const a = stackRows([rows('float32', 1, 2, 0), rows('float32', 1, 2, 10)], 5);
  assert.deepEqual(a.shape, [5, 2]);
  assert.deepEqual([...a.data], [0, 1, 10, 11, 0, 1, 10, 11, 0, 1]);
  const b = stackRows([rows('int64', 1, 1, 7)], 3);
  assert.deepEqual([...b.data], [7n, 7n, 7n]);
});

test('the row collector takes rows from multi-row samples, stops when it has enough, and builds feeds of any batch', () => {
  const c = new RowCollector(['x', 'ids'], 3);
  c.add(new Map([['x', rows('float32', 2, 2, 0)], ['ids', rows('int64', 2, 1, 100)]]), 's0');
  c.add(new Map([['x', rows('float32', 2, 2, 50)], ['ids', rows('int64', 2, 1, 200)]]), 's1');
  c.add(new Map([['x', rows('float32', 1, 2, 90)], ['ids', rows('int64', 1, 1, 300)]]), 's2');
  assert.equal(c.rowCount, 3);
  const feeds = c.feeds(4);
  assert.deepEqual(feeds.x!.dims, [4, 2]);
  assert.deepEqual([...(feeds.x!.data as Float32Array)], [0, 1, 2, 3, 50, 51, 0, 1]);
  assert.deepEqual([...(feeds.ids!.data as BigInt64Array)], [100n, 101n, 200n, 100n]);
  const bad = new RowCollector(['x', 'ids'], 2);
  bad.add(new Map([['x', rows('float32', 2, 2)], ['ids', rows('int64', 1, 1)]]), 'odd.npz');
  assert.throws(() => bad.feeds(2), /odd\.npz: inputs have different first dimensions/);
});
