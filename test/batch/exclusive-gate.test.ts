// Benchmarks run alone: an exclusive turn never overlaps a shared one, and a
// waiting exclusive turn is not starved by shared ones arriving after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExclusiveGate } from '../../src/batch/exclusive-gate.js';

test('exclusive turns never overlap anything; shared turns overlap each other', async () => {
  const gate = new ExclusiveGate();
  let shared = 0;
  let exclusive = 0;
  let maxShared = 0;
  const log: string[] = [];
  const job = async (i: number): Promise<void> => {
    await gate.shared(async () => {
      shared++;
      maxShared = Math.max(maxShared, shared);
      assert.equal(exclusive, 0, 'no shared work while a benchmark runs');
      await sleep(5 + (i % 3) * 5);
      shared--;
      await gate.exclusiveFromShared(async () => {
        exclusive++;
        assert.equal(exclusive, 1, 'one benchmark at a time');
        assert.equal(shared, 0, 'nothing else runs during a benchmark');
        log.push(`bench ${i}`);
        await sleep(5);
        exclusive--;
      });
      shared++;
      await sleep(2);
      shared--;
    });
  };
  await Promise.all(Array.from({ length: 8 }, (_, i) => job(i)));
  assert.equal(log.length, 8);
  assert.ok(maxShared >= 2, `shared turns ran side by side (${maxShared})`);
});

test('a waiting exclusive turn goes before shared turns asked for after it', async () => {
  const gate = new ExclusiveGate();
  const order: string[] = [];
  await gate.acquireShared();
  const bench = gate.acquireExclusive().then(() => {
    order.push('exclusive');
    gate.releaseExclusive();
  });
  const late = gate.acquireShared().then(() => {
    order.push('late shared');
    gate.releaseShared();
  });
  await sleep(5);
  assert.deepEqual(order, [], 'both wait for the running shared turn');
  gate.releaseShared();
  await Promise.all([bench, late]);
  assert.deepEqual(order, ['exclusive', 'late shared']);
});
