// The runner with steps of its own: jobs side by side up to --jobs, an
// exclusive step alone, a failing model not stopping the others, results in
// the batch's order, and an interruption marking the running jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { runJobs } from '../../src/batch/runner.js';
import { toJobSettings } from '../../src/batch/job-settings.js';
import type { JobStep, ModelJob } from '../../src/batch/job.js';
import { GateError, RuntimeFailure } from '../../src/errors.js';

async function jobs(n: number): Promise<ModelJob[]> {
  const settings = await toJobSettings({ bench: false });
  return Array.from({ length: n }, (_, i) => ({ entry: { input: `m${i}.onnx`, relative: `m${i}.onnx`, key: `m${i}.onnx` }, output: `m${i}.int8.onnx`, settings }));
}

test('up to N jobs at once; an exclusive step runs alone; failures and missed gates are results, in the batch\'s order', async () => {
  let running = 0;
  let most = 0;
  let inExclusive = 0;
  const work: JobStep = {
    name: 'work',
    async run() {
      running++;
      most = Math.max(most, running);
      assert.equal(inExclusive, 0, 'no work while an exclusive step runs');
      await sleep(10);
      running--;
      return 'continue';
    },
  };
  const measure: JobStep = {
    name: 'measure',
    async run({ job }, ctx) {
      await ctx.exclusive(async () => {
        inExclusive++;
        assert.equal(running, 0, 'nothing else runs during a measurement');
        assert.equal(inExclusive, 1);
        await sleep(5);
        inExclusive--;
      });
      if (job.entry.key === 'm2.onnx') throw new RuntimeFailure('m2.onnx: broken');
      if (job.entry.key === 'm4.onnx') throw new GateError('speed-up 0.9 below 1');
      return 'continue';
    },
  };
  const finished: string[] = [];
  const results = await runJobs(await jobs(7), { jobs: 3, steps: () => [work, measure], onResult: (r) => finished.push(r.job.entry.key) });
  assert.equal(most, 3, 'three jobs side by side');
  assert.deepEqual(results.map((r) => r.job.entry.key), ['m0.onnx', 'm1.onnx', 'm2.onnx', 'm3.onnx', 'm4.onnx', 'm5.onnx', 'm6.onnx']);
  assert.deepEqual(results.map((r) => r.status), ['ok', 'ok', 'failed', 'ok', 'gate-failed', 'ok', 'ok']);
  assert.deepEqual(results.map((r) => r.exitCode), [0, 0, 1, 0, 3, 0, 0]);
  assert.equal(finished.length, 7);
});

test('an interruption: no new job starts, the running ones are marked interrupted, the rest left out', async () => {
  const controller = new AbortController();
  let started = 0;
  const slow: JobStep = {
    name: 'slow',
    async run() {
      started++;
      if (started === 2) setTimeout(() => controller.abort('SIGTERM'), 5);
      await sleep(200);
      return 'continue';
    },
  };
  const results = await runJobs(await jobs(6), { jobs: 2, steps: () => [slow], signal: controller.signal });
  assert.equal(started, 2);
  assert.deepEqual(results.map((r) => [r.job.entry.key, r.status, r.exitCode]), [['m0.onnx', 'interrupted', 143], ['m1.onnx', 'interrupted', 143]]);
});
