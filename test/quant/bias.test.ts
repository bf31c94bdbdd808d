// Int32 bias quantization and the weight-scale enlargement, against hand-worked values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjustWeightScalesForBias, quantizeBias } from '../../src/quant/math/bias.js';

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
const arr = (a: ArrayLike<number>): number[] => Array.from(a);
const INT32_MAX = 2147483647;

test('bias scale is input_scale × weight_scale, per channel', () => {
  // input 0.5, weights [0.25, 2^-10] → bias scales [0.125, 2^-11]
  // 1.0625 / 0.125 = 8.5 → 8; -3 / 2^-11 = -6144
  const r = quantizeBias(f32(1.0625, -3), 0.5, [0.25, 2 ** -10]);
  assert.deepEqual(arr(r.scales), [0.125, 2 ** -11]);
  assert.deepEqual(arr(r.data), [8, -6144]);
  assert.equal(r.clipped, false);
});

test('one weight scale applies to every bias element; ties to even', () => {
  const r = quantizeBias(f32(2.5, -2.5, 3.5, 0.5, -0.5, 1.25), 1, [1]);
  assert.deepEqual(arr(r.scales), [1]);
  assert.deepEqual(arr(r.data), [2, -2, 4, 0, 0, 1]);
});

test('the bias scale is the float32 product of the two float32 scales', () => {
  // float32(0.1)² = 0.010000000298023226 (float64) → float32 0.010000000707805157
  const r = quantizeBias(f32(1), 0.1, [0.1]);
  assert.equal(r.scales[0], 0.010000000707805157);
  // 1 / 0.010000000707805157 = 99.99999292... → 100
  assert.equal(r.data[0], 100);
  // Where it shows: 1e6 / 0.010000000707805157 = 1e8 / 1.0000000707805157 ≈ 1e8 - 7.078 = 99999992.92
  // → 99999993, where the float64 product 0.010000000298023226 would give 99999997.02 → 99999997.
  assert.equal(quantizeBias(f32(1e6), 0.1, [0.1]).data[0], 99999993);
});

test('values past int32 are clipped and reported', () => {
  const r = quantizeBias(f32(1e10, -1e10, 5), 1, [1]);
  assert.deepEqual(arr(r.data), [INT32_MAX, -2147483648, 5]);
  assert.equal(r.clipped, true);
});

test('a mismatched number of weight scales is refused', () => {
  assert.throws(() => quantizeBias(f32(1, 2, 3), 1, [1, 1]), RangeError);
});

test('per tensor: a bias scale too small for the bias enlarges the weight scale', () => {
  // input 0.5, weight 2^-30: bias scale 2^-31, so 5 / 2^-31 ≈ 1.07e10 would overflow int32.
  // absmax = 5 (of 5 and -4.5): smallest valid bias scale = 1.0001 · 10 / (2^32 - 2);
  // new weight scale = 2^-30 · smallest / 2^-31 = 2 · smallest, as float32.
  const bias = f32(5, -4.5);
  const smallest = (1.0001 * 10) / 4294967294;
  const r = adjustWeightScalesForBias(0.5, [2 ** -30], bias, false);
  assert.equal(r.adjusted, true);
  assert.deepEqual(arr(r.scales), [Math.fround(2 * smallest)]);
  // The bias now fits: 5 / (0.5 · newScale) ≈ (2^32 - 2) / 2 / 1.0001 ≈ 2147268 8xx
  const q = quantizeBias(bias, 0.5, r.scales);
  assert.equal(q.clipped, false);
  assert.ok(q.data[0]! < INT32_MAX && q.data[0]! > 2147000000, `got ${q.data[0]}`);
  assert.ok(q.data[1]! < -1932000000 && q.data[1]! > -1933000000, `got ${q.data[1]}`); // -4.5/5 of it
});

test('per tensor: the example of ORT PR #22020 (weights ±1e-7, input scale 0.05, bias [5, -4.5])', () => {
  // weight scale 2e-7 / 254 (symmetric int8); bias scale 0.05 · 7.87e-10 ≈ 3.9e-11 → 1.27e11: overflow.
  const w = Math.fround(Math.fround(2 * Math.fround(1e-7)) / 254);
  const before = quantizeBias(f32(5, -4.5), 0.05, [w]);
  assert.equal(before.clipped, true);
  const r = adjustWeightScalesForBias(0.05, [w], f32(5, -4.5), false);
  assert.equal(r.adjusted, true);
  assert.ok(r.scales[0]! > w * 50);
  const after = quantizeBias(f32(5, -4.5), 0.05, r.scales);
  assert.equal(after.clipped, false);
  assert.ok(after.data[0]! > 2147000000);
});

test('per tensor: a bias that fits leaves the scale alone', () => {
  const r = adjustWeightScalesForBias(0.5, [0.01], f32(5, -4.5), false);
  assert.equal(r.adjusted, false);
  assert.deepEqual(arr(r.scales), [Math.fround(0.01)]);
});

test('per channel: only the channels that overflow are enlarged', () => {
  // input 0.25. ch0: weight 2^-30, bias 3 → smallest = 1.0001·6/(2^32-2), candidate 2^-32 < it →
  //   new = 2^-30 · smallest / 2^-32 = 4 · smallest.
  // ch1: weight 0.5, bias 100 → candidate 0.125, fine. ch2: bias 0 → smallest 0, fine.
  // ch3: weight 0 → candidate 0, left alone (ORT requires candidate > 0).
  const bias = f32(3, 100, 0, 7);
  const weights = [2 ** -30, 0.5, 2 ** -30, 0];
  const r = adjustWeightScalesForBias(0.25, weights, bias, true);
  assert.equal(r.adjusted, true);
  const smallest0 = (1.0001 * 6) / 4294967294;
  assert.deepEqual(arr(r.scales), [Math.fround(4 * smallest0), 0.5, 2 ** -30, 0]);
  const q = quantizeBias(bias.subarray(0, 3), 0.25, r.scales.subarray(0, 3));
  assert.equal(q.clipped, false);
  assert.ok(q.data[0]! > 2147000000 && q.data[0]! < INT32_MAX);
  assert.deepEqual(arr(q.data.subarray(1)), [800, 0]);
  // The input array is not modified.
  assert.deepEqual(weights, [2 ** -30, 0.5, 2 ** -30, 0]);
});

test('per channel needs one bias value per scale; per tensor one scale', () => {
  assert.throws(() => adjustWeightScalesForBias(1, [1, 1], f32(1, 2, 3), true), RangeError);
  assert.throws(() => adjustWeightScalesForBias(1, [1, 1], f32(1, 2), false), RangeError);
  assert.deepEqual(adjustWeightScalesForBias(1, [], f32(), true).adjusted, false);
});
