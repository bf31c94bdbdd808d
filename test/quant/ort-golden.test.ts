// The TypeScript math against ort_golden.json: cases computed by ort_reference.py, an
// independent numpy re-implementation of onnxruntime's quantizer formulas (numpy's own float32
// arithmetic and rounding). Regenerate with: /usr/bin/python3 test/quant/ort_reference.py > test/quant/ort_golden.json
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { qRange } from '../../src/quant/math/ranges.js';
import type { QuantType } from '../../src/quant/math/ranges.js';
import { computeScaleZeroPoint } from '../../src/quant/math/scale.js';
import { quantizeLinear, quantizePerChannel, quantizePerTensor, setWasmKernels } from '../../src/quant/math/quantize.js';
import { newQuantizedArray, typeRange } from '../../src/quant/math/ranges.js';
import { adjustWeightScalesForBias, quantizeBias } from '../../src/quant/math/bias.js';

interface Golden {
  scale_zp_fields: string[];
  scale_zp: Array<[number, number, QuantType, number, number, number | null, number, number, number, number]>;
  per_tensor: Array<{ x: number[]; type: QuantType; symmetric: boolean; reduceRange: boolean; scale: number; zeroPoint: number; q: number[] }>;
  per_channel: Array<{
    x: number[];
    shape: number[];
    axis: number;
    type: QuantType;
    symmetric: boolean;
    reduceRange: boolean;
    scales: number[];
    zeroPoints: number[];
    q: number[];
  }>;
  quantize: Array<{ x: number[]; type: QuantType; scale: number; zeroPoint: number; q: number[] }>;
  bias: Array<{ bias: number[]; inputScale: number; weightScales: number[]; q: number[]; biasScales: number[] }>;
  adjust: Array<{
    bias: number[];
    inputScale: number;
    weightScales: number[];
    perChannel: boolean;
    adjusted: boolean;
    newWeightScales: number[];
    q: number[];
  }>;
}

// Each golden test runs with the JavaScript kernels, with the WebAssembly SIMD kernels for every
// run, and with the default mix.
const MODES = [false, 'always', true] as const;
function test(name: string, fn: () => void): void {
  for (const mode of MODES) {
    nodeTest(`${name} [kernels: ${mode === false ? 'js' : mode === true ? 'default' : 'wasm'}]`, () => {
      setWasmKernels(mode);
      fn();
    });
  }
}

const golden = JSON.parse(readFileSync(join(repoRoot, 'test/quant/ort_golden.json'), 'utf8')) as Golden;
const arr = (a: ArrayLike<number>): number[] => Array.from(a);

test('golden: compute_scale_zp over every type and mode', () => {
  assert.deepEqual(golden.scale_zp_fields, [
    'rmin', 'rmax', 'type', 'symmetric', 'reduceRange', 'minRealRange', 'qmin', 'qmax', 'scale', 'zeroPoint',
  ]);
  assert.ok(golden.scale_zp.length > 100);
  for (const [rmin, rmax, type, sym, rr, mrr, qmin, qmax, scale, zeroPoint] of golden.scale_zp) {
    const opts = { symmetric: sym === 1, reduceRange: rr === 1 };
    assert.deepEqual(qRange(type, opts), { qmin, qmax });
    const got = computeScaleZeroPoint(rmin, rmax, qmin, qmax, opts.symmetric, mrr ?? undefined);
    assert.deepEqual(got, { scale, zeroPoint }, `[${rmin}, ${rmax}] ${type} ${JSON.stringify(opts)} mrr=${mrr}`);
  }
});

test('golden: per-tensor quantize_data', () => {
  for (const [i, c] of golden.per_tensor.entries()) {
    const r = quantizePerTensor(Float32Array.from(c.x), c.type, c);
    assert.deepEqual([r.scale, r.zeroPoint], [c.scale, c.zeroPoint], `case ${i}`);
    assert.deepEqual(arr(r.data), c.q, `case ${i}`);
  }
});

test('golden: per-channel weights along every axis', () => {
  assert.ok(golden.per_channel.length >= 50);
  for (const [i, c] of golden.per_channel.entries()) {
    const r = quantizePerChannel(Float32Array.from(c.x), c.shape, c.axis, c.type, c);
    const label = `case ${i}: [${c.shape.join(',')}] axis ${c.axis} ${c.type}`;
    assert.deepEqual(arr(r.scales), c.scales, label);
    assert.deepEqual(arr(r.zeroPoints), c.zeroPoints, label);
    assert.deepEqual(arr(r.data), c.q, label);
  }
});

test('golden: QuantizeLinear with given parameters, ties and clipping', () => {
  for (const [i, c] of golden.quantize.entries()) {
    const { qmin, qmax } = typeRange(c.type);
    const out = quantizeLinear(Float32Array.from(c.x), c.scale, c.zeroPoint, qmin, qmax, newQuantizedArray(c.type, c.x.length));
    assert.deepEqual(arr(out), c.q, `case ${i}`);
  }
});

test('golden: int32 bias', () => {
  for (const [i, c] of golden.bias.entries()) {
    const r = quantizeBias(Float32Array.from(c.bias), c.inputScale, c.weightScales);
    assert.deepEqual(arr(r.scales), c.biasScales, `case ${i}`);
    assert.deepEqual(arr(r.data), c.q, `case ${i}`);
  }
});

test('golden: weight-scale enlargement for int32 bias, then the bias', () => {
  assert.ok(golden.adjust.some((c) => c.adjusted));
  for (const [i, c] of golden.adjust.entries()) {
    const bias = Float32Array.from(c.bias);
    const r = adjustWeightScalesForBias(c.inputScale, c.weightScales, bias, c.perChannel);
    assert.equal(r.adjusted, c.adjusted, `case ${i}`);
    assert.deepEqual(arr(r.scales), c.newWeightScales, `case ${i}`);
    assert.deepEqual(arr(quantizeBias(bias, c.inputScale, r.scales).data), c.q, `case ${i}`);
  }
});
