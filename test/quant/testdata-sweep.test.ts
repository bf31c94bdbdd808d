// Quantizing (without samples) every model of Debian's libonnx-testdata: each
// one either quantizes, or fails with the tool's own error (exit-code
// carrying, naming the file). No TypeError, no crash, whatever the op, input
// type (strings, bfloat16, sequences, optionals) or opset. The node tests take
// every tensor as a graph input, so a second pass turns all inputs but the
// first into initializers from the test's own data: Conv, Gemm, MatMul, LSTM,
// Gather... then have constant weights and really get quantized.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadModel } from '../../src/onnx/load.js';
import { onnx } from '../../src/onnx/proto.js';
import { encodeModel } from '../../src/onnx/build.js';
import { quantizeModel } from '../../src/quant/quantize-model.js';
import { QuantizeError } from '../../src/errors.js';
import { makeTempDir } from '../helpers/tmp.js';

const CORPUS = '/usr/share/libonnx-testdata';

function findModels(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) findModels(p, out);
    else if (entry.endsWith('.onnx')) out.push(p);
  }
  return out;
}

test('every libonnx-testdata model quantizes or fails cleanly', { timeout: 600_000 }, async (t) => {
  assert.ok(existsSync(CORPUS), `${CORPUS} is missing: apt-get install libonnx-testdata`);
  const models = findModels(CORPUS).sort();
  let quantized = 0;
  let refused = 0;
  const escaped: string[] = [];
  for (const file of models) {
    try {
      await quantizeModel(loadModel(file), {});
      quantized++;
    } catch (err) {
      if (err instanceof QuantizeError && err.message.startsWith(file)) refused++;
      else escaped.push(`${file}: ${(err as Error)?.stack?.split('\n').slice(0, 2).join(' ') ?? String(err)}`);
    }
  }
  t.diagnostic(`libonnx-testdata: ${models.length} models, ${quantized} quantized, ${refused} refused with a clean error, ${escaped.length} escaped`);
  assert.deepEqual(escaped.slice(0, 5), []);
  assert.equal(quantized + refused, models.length);
});

/** The model with every input but the first made an initializer from test_data_set_0, or undefined. */
function withConstantWeights(file: string, dir: string): string | undefined {
  const data = join(file, '..', 'test_data_set_0');
  if (!existsSync(data)) return undefined;
  const proto = onnx.ModelProto.decode(readFileSync(file));
  const graph = proto.graph!;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !inits.has(v.name));
  if (inputs.length < 2) return undefined;
  const added = [];
  for (let i = 1; i < inputs.length; i++) {
    const pb = join(data, `input_${i}.pb`);
    if (!existsSync(pb)) return undefined;
    const t = onnx.TensorProto.decode(readFileSync(pb));
    t.name = inputs[i]!.name!;
    added.push(t);
  }
  graph.initializer = [...(graph.initializer ?? []), ...added];
  graph.input = [inputs[0]!] as typeof graph.input;
  const out = join(dir, `${file.split('/').slice(-2)[0]}.onnx`);
  writeFileSync(out, encodeModel(proto));
  return out;
}

test('with their test data as constant weights, testdata models quantize or fail cleanly', { timeout: 900_000 }, async (t) => {
  assert.ok(existsSync(CORPUS));
  const dir = makeTempDir('oq-sweep-');
  const models = findModels(CORPUS).sort().map((f) => withConstantWeights(f, dir)).filter((f): f is string => !!f);
  let quantized = 0;
  let refused = 0;
  const escaped: string[] = [];
  for (const file of models) {
    try {
      await quantizeModel(loadModel(file), {});
      quantized++;
    } catch (err) {
      if (err instanceof QuantizeError && err.message.startsWith(file)) refused++;
      else escaped.push(`${file}: ${(err as Error)?.stack?.split('\n').slice(0, 2).join(' ') ?? String(err)}`);
    }
  }
  t.diagnostic(`testdata with constant weights: ${models.length} models, ${quantized} quantized, ${refused} refused with a clean error, ${escaped.length} escaped`);
  assert.deepEqual(escaped.slice(0, 5), []);
  // Conv, ConvTranspose, Gemm, MatMul, Gather, LSTM/GRU/RNN variants: 39 at the time of writing.
  assert.ok(quantized >= 30, `only ${quantized} quantized`);
});
