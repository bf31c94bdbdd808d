import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { measureModelMemory } from '../../src/bench/memory.js';
import { childScriptPath } from '../../src/bench/child-process.js';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { RuntimeFailure } from '../../src/errors.js';
import { fixturePath } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const tmp = makeTempDir('oq-memory-');
const MiB = 1024 * 1024;

/** x [1, k] → MatMul with a [k, n] float weight → y [1, n]. */
function matmulModel(file: string, k: number, n: number): void {
  const w = new Float32Array(k * n);
  for (let i = 0; i < w.length; i++) w[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  writeFileSync(file, encodeModel(makeModel(makeGraph({
    nodes: [makeNode('MatMul', ['x', 'w'], ['y'], 'mm')],
    inputs: [makeValueInfo('x', DataType.FLOAT, [1, k])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [1, n])],
    initializers: [makeTensor('w', [k, n], w)],
  }))));
}

test('each model is measured in its own process: a 32 MiB model adds about its weights, a tiny one next to nothing', async () => {
  const big = join(tmp, 'big.onnx');
  const small = join(tmp, 'small.onnx');
  matmulModel(big, 2048, 4096);
  matmulModel(small, 2048, 4);
  const feeds = { x: new ort.Tensor('float32', new Float32Array(2048), [1, 2048]) };
  const b = await measureModelMemory(big, feeds, { runs: 3, warmupRuns: 1 });
  const s = await measureModelMemory(small, feeds, { runs: 3, warmupRuns: 1 });
  for (const r of [b, s]) {
    assert.ok(r.loadMs > 0);
    assert.equal(r.runs, 3);
    assert.ok(r.runMedianMs > 0);
    assert.ok(r.baselineRssBytes > 10 * MiB, `baseline ${r.baselineRssBytes}`);
    assert.ok(r.baselineRssBytes <= r.loadPeakRssBytes && r.loadPeakRssBytes <= r.peakRssBytes);
    assert.equal(r.sessionRssBytes, r.peakRssBytes - r.baselineRssBytes);
  }
  assert.ok(b.sessionRssBytes >= 30 * MiB, `big model's session ${b.sessionRssBytes / MiB} MiB`);
  assert.ok(s.sessionRssBytes < b.sessionRssBytes - 24 * MiB, `small ${s.sessionRssBytes / MiB} MiB vs big ${b.sessionRssBytes / MiB} MiB`);
  // the baselines do not carry one model's memory into the other's measurement
  assert.ok(Math.abs(b.baselineRssBytes - s.baselineRssBytes) < 16 * MiB);
});

test('placement: the digits model\'s nodes all ran on the CPU provider, and the op counts add up', async () => {
  const feeds = { input: new ort.Tensor('float32', new Float32Array(64), [1, 1, 8, 8]) };
  const r = await measureModelMemory(fixturePath('digits', 'model.onnx'), feeds, { runs: 1, warmupRuns: 0, threads: 1 });
  assert.ok(r.placement, r.placementError);
  assert.deepEqual(r.placement.map((p) => p.provider), ['CPUExecutionProvider']);
  const p = r.placement[0]!;
  assert.ok(p.nodes >= 4, `${p.nodes} nodes`);
  assert.equal(p.ops.reduce((sum, o) => sum + o.count, 0), p.nodes);
  assert.ok(p.ops.some((o) => /Conv/.test(o.op)));
  const none = await measureModelMemory(fixturePath('digits', 'model.onnx'), feeds, { runs: 1, placement: false });
  assert.equal(none.placement, null);
});

test('a model the runtime cannot load, or feeds it cannot run, fail naming the file', async () => {
  const junk = join(tmp, 'junk.onnx');
  writeFileSync(junk, 'not a model');
  const feeds = { input: new ort.Tensor('float32', new Float32Array(64), [1, 1, 8, 8]) };
  await assert.rejects(measureModelMemory(junk, feeds), (e: unknown) =>
    e instanceof RuntimeFailure && e.message.includes('junk.onnx') && /cannot load/.test(e.message));
  const wrong = { input: new ort.Tensor('float32', new Float32Array(3), [1, 3]) };
  await assert.rejects(measureModelMemory(fixturePath('digits', 'model.onnx'), wrong), (e: unknown) =>
    e instanceof RuntimeFailure && /failed to run/.test(e.message));
});

test('the helper scripts are found beside the compiled module, whatever the working directory; a missing one says to build', () => {
  assert.match(childScriptPath('memory-child'), /bench[\\/]memory-child\.js$/);
  assert.match(childScriptPath('probe-child'), /bench[\\/]probe-child\.js$/);
  assert.throws(() => childScriptPath('no-such-child'), (e: unknown) => e instanceof RuntimeFailure && /npm run build/.test(e.message));
});
