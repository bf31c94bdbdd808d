// onnxruntime-node aborts the process when a session returns an INT4 tensor
// as an output. The low-bit rewrite never makes one a graph output, even when
// the weight it replaces is itself an output of the model; this is checked
// by running the written models in child processes, next to a control that
// shows the abort does happen (so the check can fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../../src/onnx/build.js';
import { DataType } from '../../src/onnx/dtypes.js';
import { loadModel } from '../../src/onnx/load.js';
import { saveModel } from '../../src/onnx/save.js';
import { quantizeModel } from '../../src/quant/quantize-model.js';
import { assertNoSubByteOutputs } from '../../src/quant/nbits/quantize-nbits.js';
import { QuantizeError } from '../../src/errors.js';
import { Rng, writeModel } from '../helpers/models.js';
import { repoRoot } from '../helpers/paths.js';
import { makeTempDir } from '../helpers/tmp.js';

const dir = makeTempDir('oq-int4-');
const child = join(repoRoot, 'dist/test/helpers/run-model-child.js');

function runInChild(file: string): { status: number | null; signal: string | null; types?: Record<string, string> } {
  const r = spawnSync(process.execPath, [child, file], { encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').pop();
  return { status: r.status, signal: r.signal, types: r.status === 0 && line ? JSON.parse(line) : undefined };
}

test('control: a session returning an INT4 output takes its process down (why outputs are guarded)', () => {
  const graph = makeGraph({
    nodes: [], initializers: [makeTensor('q', [4, 2], new Uint8Array(4), DataType.INT4)],
    inputs: [], outputs: [makeValueInfo('q', DataType.INT4, [4, 2])],
  });
  const file = join(dir, 'int4-output.onnx');
  writeModel(makeModel(graph, 21, 10), file);
  const r = runInChild(file);
  assert.notEqual(r.status, 0, `the child should not survive (status ${r.status}, signal ${r.signal})`);
});

test('--format qdq on a model whose weight is also a graph output: the output stays float, the child runs it to the end', async () => {
  const rng = new Rng(1);
  const [k, n] = [64, 16];
  const graph = makeGraph({
    nodes: [makeNode('MatMul', ['x', 'w'], ['y'], 'mm')],
    initializers: [makeTensor('w', [k, n], rng.normalArray(k * n, 0.1))],
    inputs: [makeValueInfo('x', DataType.FLOAT, [2, k])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [2, n]), makeValueInfo('w', DataType.FLOAT, [k, n])],
  });
  const src = join(dir, 'weight-output.onnx');
  writeModel(makeModel(graph, 17, 8), src);
  const model = loadModel(src);
  const outcome = await quantizeModel(model, { nbits: { format: 'qdq' } });
  const out = join(dir, 'weight-output.qdq.onnx');
  saveModel(outcome.proto, out, { source: model });
  const written = loadModel(out).proto;
  assert.ok((written.graph!.initializer ?? []).some((t) => t.dataType === DataType.UINT4), 'the MatMul reads a UINT4 weight (zero points: the default)');
  assert.equal(written.graph!.initializer!.find((t) => t.name === 'w')?.dataType, DataType.FLOAT, 'the output weight stays float');
  const r = runInChild(out);
  assert.equal(r.status, 0, `child exited with ${r.status} (signal ${r.signal})`);
  assert.deepEqual(r.types, { y: 'float32', w: 'float32' });
});

test('the guard refuses a model whose graph output would be a sub-byte tensor', () => {
  const graph = makeGraph({
    nodes: [makeNode('QuantizeLinear', ['x', 's', 'z'], ['q'], 'ql')],
    initializers: [makeTensor('s', [], Float32Array.of(0.1)), makeTensor('z', [], new Uint8Array(1), DataType.INT4)],
    inputs: [makeValueInfo('x', DataType.FLOAT, [4])], outputs: [makeValueInfo('q', DataType.INT4, [4])],
  });
  assert.throws(() => assertNoSubByteOutputs(makeModel(graph, 21, 10), 'm.onnx'),
    (err: Error) => err instanceof QuantizeError && /graph output 'q' would be of type int4/.test(err.message));
});
