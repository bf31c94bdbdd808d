// The batch's exit code is its models' most severe, and the default job count
// follows the CPUs, the free memory and the number of models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { worseExitCode } from '../../src/batch/summary.js';
import { defaultJobs, jobMemoryEstimate } from '../../src/batch/default-jobs.js';

test('exit codes: usage 2 > failure 1 > missed gate 3 > 0, an interruption above all', () => {
  const worst = (codes: number[]): number => codes.reduce(worseExitCode, 0);
  assert.equal(worst([0, 0]), 0);
  assert.equal(worst([0, 3, 0]), 3);
  assert.equal(worst([3, 1, 0]), 1);
  assert.equal(worst([1, 3]), 1);
  assert.equal(worst([1, 2, 3]), 2);
  assert.equal(worst([2, 130]), 130);
});

test('default jobs: one per CPU, as many as memory holds, never more than the models', () => {
  const models = ['a.onnx', 'b.onnx', 'c.onnx', 'd.onnx', 'e.onnx', 'f.onnx'];
  // Files that do not exist weigh nothing: the estimate is the fixed part.
  assert.equal(defaultJobs(models, 4, 64 * 2 ** 30), 4);
  assert.equal(defaultJobs(models.slice(0, 2), 16, 64 * 2 ** 30), 2);
  assert.equal(defaultJobs(models, 16, 2.5 * jobMemoryEstimate(0) / 0.8), 2, 'memory for two jobs');
  assert.equal(defaultJobs(models, 16, 1), 1, 'at least one');
  assert.equal(defaultJobs(['one.onnx'], 16, 64 * 2 ** 30), 1);
  assert.ok(jobMemoryEstimate(2 ** 30) >= 3 * 2 ** 30, 'a 1 GiB model is taken to need several GiB');
});
