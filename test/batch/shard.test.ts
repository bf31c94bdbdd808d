// Shards: each model in exactly one slice, the same slice when models are
// added, and K/N read from the CI's own variables with --shard auto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseShard, selectShard, shardOf } from '../../src/batch/shard.js';

const keys = (n: number, prefix = 'models/m'): Array<{ key: string }> => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}.onnx` }));

test('the slices of N shards cover the list exactly once, and adding models moves none of the others', () => {
  const list = keys(60);
  for (const total of [1, 2, 3, 7]) {
    const slices = Array.from({ length: total }, (_, i) => selectShard(list, { index: i + 1, total, source: 'test' }).map((e) => e.key));
    const all = slices.flat();
    assert.equal(all.length, list.length, `${total} shards: every model once`);
    assert.deepEqual(new Set(all), new Set(list.map((e) => e.key)));
    if (total === 3) assert.ok(slices.every((s) => s.length >= 10), `3 shards of 60 are not badly skewed: ${slices.map((s) => s.length)}`);
  }
  const grown = [...list, ...keys(15, 'models/new')];
  for (const e of list) assert.equal(shardOf(e.key, 3), shardOf(e.key, 3), 'deterministic');
  const before = new Map(list.map((e) => [e.key, shardOf(e.key, 3)]));
  for (let k = 1; k <= 3; k++) {
    for (const e of selectShard(grown, { index: k, total: 3, source: 'test' })) {
      if (before.has(e.key)) assert.equal(before.get(e.key), k - 1, `${e.key} stays in its shard`);
    }
  }
});

test('--shard K/N and its errors', () => {
  assert.deepEqual(parseShard('2/3', {}), { index: 2, total: 3, source: '--shard' });
  assert.throws(() => parseShard('0/3', {}), /K must be an integer >= 1/);
  assert.throws(() => parseShard('4/3', {}), /between 1 and N/);
  assert.throws(() => parseShard('2', {}), /K\/N/);
  assert.throws(() => parseShard('a/b', {}), /must be an integer/);
});

test('--shard auto reads GitLab, Kubernetes Indexed Jobs and a GitHub Actions matrix passed through', () => {
  assert.deepEqual(parseShard('auto', { CI_NODE_INDEX: '2', CI_NODE_TOTAL: '4' }), { index: 2, total: 4, source: 'CI_NODE_INDEX/CI_NODE_TOTAL' });
  // Kubernetes' index is 0-based; the total is given.
  assert.deepEqual(parseShard('auto/5', { JOB_COMPLETION_INDEX: '0' }), { index: 1, total: 5, source: 'JOB_COMPLETION_INDEX' });
  assert.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '4', QUANTIZE_SHARD_TOTAL: '5' }).index, 5);
  assert.throws(() => parseShard('auto', { JOB_COMPLETION_INDEX: '1' }), /auto\/N/);
  assert.throws(() => parseShard('auto/5', { JOB_COMPLETION_INDEX: '5' }), /shard 6 of 5/);
  // GitHub Actions: strategy.job-index (0-based) and strategy.job-total, passed as env.
  assert.deepEqual(parseShard('auto', { QUANTIZE_SHARD_INDEX: '2', QUANTIZE_SHARD_TOTAL: '3' }).index, 3);
  assert.throws(() => parseShard('auto', {}), /no shard variables/);
  assert.throws(() => parseShard('auto/3', { CI_NODE_INDEX: '1', CI_NODE_TOTAL: '4' }), /says 4 shards/);
});
