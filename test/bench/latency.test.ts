import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { bootstrapSpeedup, latencyStats, measureLatency, medianOf, quantileSorted, type Runnable } from '../../src/bench/latency.js';

const feeds = { x: new ort.Tensor('float32', new Float32Array(4 * 3), [4, 3]) };

/** A stand-in session that records the order of calls and takes about `ms` each. */
function fake(name: string, log: string[], ms = 0): Runnable {
  return {
    async run() {
      log.push(name);
      if (ms > 0) {
        // Burn `ms` of this process's CPU time, not of wall time: on a busy
        // machine both stand-ins then slow down by the same factor, as real
        // models do, and their ratio holds (a wall-clock deadline let the
        // preemption after it add the same milliseconds to both, squeezing
        // 2× down to 1.2× under load). Timers are too coarse for this.
        const cpuMs = (): number => {
          const u = process.cpuUsage();
          return (u.user + u.system) / 1000;
        };
        const end = cpuMs() + ms;
        while (cpuMs() < end) {
          // busy wait
        }
      }
      return {};
    },
  };
}

test('runs are interleaved, alternating order per round, after the warm-up', async () => {
  const log: string[] = [];
  const r = await measureLatency(fake('A', log), fake('B', log), feeds, { warmupRuns: 2, minRuns: 4, minTimeMs: 0, runsPerTurn: 1, settleRuns: 0 });
  assert.deepEqual(log, ['A', 'B', 'A', 'B', /* timed */ 'A', 'B', 'B', 'A', 'A', 'B', 'B', 'A']);
  assert.deepEqual(r.turns, { runsPerTurn: 1, settleRuns: 0 });
  assert.equal(r.a.runs, 4);
  assert.equal(r.b.runs, 4);
  assert.equal(r.batch, 4, 'batch is the first dimension of the first feed');
});

test('turns: untimed settle runs, then timed runs, A\'s turn and B\'s alternating first, equal counts for both', async () => {
  const log: string[] = [];
  const r = await measureLatency(fake('A', log), fake('B', log), feeds, { warmupRuns: 1, minRuns: 5, minTimeMs: 0, runsPerTurn: 3, settleRuns: 2 });
  // round 1: 2 settle + 3 timed each; round 2 only the 2 runs still missing to minRuns
  assert.deepEqual(log, ['A', 'B', /* round 1 */ 'A', 'A', 'A', 'A', 'A', 'B', 'B', 'B', 'B', 'B', /* round 2 */ 'B', 'B', 'B', 'B', 'A', 'A', 'A', 'A']);
  assert.equal(r.a.runs, 5);
  assert.equal(r.b.runs, 5);
  const capped = await measureLatency(fake('A', []), fake('B', []), feeds, { warmupRuns: 0, minRuns: 100, minTimeMs: 0, maxRuns: 7, runsPerTurn: 3, settleRuns: 1 });
  assert.equal(capped.a.runs, 7, 'the last turn is cut to maxRuns');
  assert.equal(capped.b.runs, 7);
});

/**
 * Two stand-in models sharing a cache: a run takes `warm` ms, plus `cold` ms
 * that halves with each run since the other model last ran (as a CPU cache
 * refills, measured in latency.ts's header comment).
 */
function cached(warm: number, cold: number): [Runnable, Runnable] {
  let last = '';
  let streak = 0;
  const make = (name: string): Runnable => ({
    async run() {
      streak = last === name ? streak + 1 : 0;
      last = name;
      const end = performance.now() + warm + cold / 2 ** streak;
      while (performance.now() < end) {
        // busy wait
      }
      return {};
    },
  });
  return [make('A'), make('B')];
}

test('by default the cost of switching models is not charged to either: turns settle before timing', async () => {
  const [a, b] = cached(0.2, 2);
  const r = await measureLatency(a, b, feeds, { warmupRuns: 2, minRuns: 20, minTimeMs: 40 });
  assert.ok(r.turns.settleRuns >= 4, `settle runs ${r.turns.settleRuns}`);
  assert.ok(r.turns.runsPerTurn > 1);
  assert.ok(r.a.median < 0.2 * 2 && r.b.median < 0.2 * 2, `medians ${r.a.median}, ${r.b.median} for a warm run of 0.2 ms`);
  // alternating single runs charges every run with the switch
  const [c, d] = cached(0.2, 2);
  const single = await measureLatency(c, d, feeds, { warmupRuns: 2, minRuns: 20, minTimeMs: 0, runsPerTurn: 1, settleRuns: 0 });
  assert.ok(single.a.median > 2, `median ${single.a.median}`);
});

test('timed runs go on until both the minimum count and the minimum time are reached', async () => {
  const log: string[] = [];
  const r = await measureLatency(fake('A', log, 1), fake('B', log, 1), feeds, { warmupRuns: 0, minRuns: 3, minTimeMs: 30 });
  assert.equal(r.a.runs, r.b.runs);
  const timed = r.a.mean * r.a.runs + r.b.mean * r.b.runs;
  assert.ok(timed >= 30, `timed ${timed} ms`);
  assert.ok(r.a.runs >= 3);
  const r2 = await measureLatency(fake('A', [], 1), fake('B', [], 1), feeds, { warmupRuns: 0, minRuns: 25, minTimeMs: 1 });
  assert.equal(r2.a.runs, 25);
});

test('maxRuns and maxTimeMs stop early', async () => {
  const r = await measureLatency(fake('A', []), fake('B', []), feeds, { warmupRuns: 0, minRuns: 1000, minTimeMs: 0, maxRuns: 7 });
  assert.equal(r.a.runs, 7);
  const r2 = await measureLatency(fake('A', [], 2), fake('B', [], 2), feeds, { warmupRuns: 0, minRuns: 1000, minTimeMs: 0, maxTimeMs: 10 });
  assert.ok(r2.a.runs >= 1 && r2.a.runs <= 4, `${r2.a.runs}`);
});

test('a model twice as slow shows a speed-up of about 2 with an interval around it', async () => {
  // single runs alternating: the finest pairing, for the least sensitivity to a busy machine
  // 20 ms against 10 ms: long enough that scheduling jitter on a busy 2-core machine stays small beside them
  const r = await measureLatency(fake('A', [], 20), fake('B', [], 10), feeds, { warmupRuns: 1, minRuns: 20, minTimeMs: 0, batch: 1, runsPerTurn: 1, settleRuns: 0 });
  assert.ok(r.speedup > 1.4 && r.speedup < 2.8, `speedup ${r.speedup}`);
  assert.ok(r.interval.low <= r.speedup && r.speedup <= r.interval.high);
  assert.equal(r.interval.method, 'paired-bootstrap');
  assert.ok(r.a.median >= 20 && r.b.median >= 10);
  assert.ok(Math.abs(r.b.throughput - 1000 / r.b.median) < 1e-9);
});

test('quantiles interpolate linearly between ranks, as numpy does', () => {
  const v = Float64Array.of(1, 2, 3, 4);
  assert.equal(quantileSorted(v, 0.5), 2.5);
  assert.ok(Math.abs(quantileSorted(v, 0.9) - 3.7) < 1e-12);
  assert.equal(quantileSorted(v, 0), 1);
  assert.equal(quantileSorted(v, 1), 4);
  const s = latencyStats([5, 1, 3, 2, 4], 8);
  assert.deepEqual({ min: s.min, max: s.max, median: s.median, mean: s.mean, p25: s.p25, p75: s.p75, runs: s.runs },
    { min: 1, max: 5, median: 3, mean: 3, p25: 2, p75: 4, runs: 5 });
  assert.equal(s.throughput, 8 * 1000 / 3);
  assert.throws(() => latencyStats([]), RangeError);
});

test('the quickselect median matches sorting, duplicates included', () => {
  let seed = 7;
  const rand = (): number => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(rand() * 40);
    const v = Float64Array.from({ length: n }, () => Math.floor(rand() * 6));
    const sorted = Float64Array.from(v).sort();
    assert.equal(medianOf(v), quantileSorted(sorted, 0.5), `[${[...v].join(',')}]`);
  }
});

test('the bootstrap interval is deterministic for a seed and exact for constant ratios', () => {
  const a = Float64Array.from({ length: 50 }, () => 2);
  const b = Float64Array.from({ length: 50 }, () => 1);
  assert.deepEqual(bootstrapSpeedup(a, b, 100, 3), { low: 2, high: 2, confidence: 0.95, method: 'paired-bootstrap' });
  const x = Float64Array.from({ length: 30 }, (_, i) => 1 + (i % 7) / 10);
  const y = Float64Array.from({ length: 30 }, (_, i) => 1 + (i % 5) / 10);
  assert.deepEqual(bootstrapSpeedup(x, y, 200, 9), bootstrapSpeedup(x, y, 200, 9));
});
