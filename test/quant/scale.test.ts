// computeScaleZeroPoint against hand-worked values of ORT's compute_scale_zp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeScaleZeroPoint, FLOAT32_TINY } from '../../src/quant/math/scale.js';

test('FLOAT32_TINY is the smallest normal float32', () => {
  assert.equal(FLOAT32_TINY, 1.1754943508222875e-38);
});

test('a range not containing 0 is widened to include it: [2, 6] uint8 asymmetric', () => {
  // rmin = min(2, 0) = 0, rmax = 6: scale = 6 / 255, zero point = round(0 - 0 / scale) = 0
  const p = computeScaleZeroPoint(2, 6, 0, 255, false);
  assert.equal(p.scale, Math.fround(6 / 255));
  assert.equal(p.zeroPoint, 0);
});

test('an all-negative range puts the zero point at qmax: [-6, -2] uint8', () => {
  // rmax = max(-2, 0) = 0: scale = 6 / 255, zero point = round(0 + 6 / (6/255)) = 255
  const p = computeScaleZeroPoint(-6, -2, 0, 255, false);
  assert.equal(p.scale, Math.fround(6 / 255));
  assert.equal(p.zeroPoint, 255);
});

test('asymmetric int8 [-1, 3]', () => {
  // scale = 4 / 255; zero point = round(-128 + 1 / (4/255)) = round(-128 + 63.75) = -64
  const p = computeScaleZeroPoint(-1, 3, -128, 127, false);
  assert.equal(p.scale, Math.fround(4 / 255));
  assert.equal(p.zeroPoint, -64);
});

test('symmetric int8: [-1, 0.5] becomes [-1, 1], zero point 0', () => {
  // scale = 2 / 254 (symmetric int8 range is [-127, 127])
  const p = computeScaleZeroPoint(-1, 0.5, -127, 127, true);
  assert.equal(p.scale, Math.fround(2 / 254));
  assert.equal(p.zeroPoint, 0);
  const q = computeScaleZeroPoint(-0.25, 3, -127, 127, true); // absmax from the positive side
  assert.equal(q.scale, Math.fround(6 / 254));
  assert.equal(q.zeroPoint, 0);
});

test('symmetric uint8 ([0, 254]) has zero point 127; reduced uint8 ([0, 127]) has round(63.5) = 64', () => {
  const p = computeScaleZeroPoint(-1, 0.5, 0, 254, true);
  assert.equal(p.scale, Math.fround(2 / 254));
  assert.equal(p.zeroPoint, 127);
  const r = computeScaleZeroPoint(-1, 0.5, 0, 127, true);
  assert.equal(r.scale, Math.fround(2 / 127));
  assert.equal(r.zeroPoint, 64);
});

test('reduce_range int8 [-64, 64]: scale = 2·absmax / 128', () => {
  const p = computeScaleZeroPoint(-0.5, 2, -64, 64, true);
  assert.equal(p.scale, 2 * 2 / 128);
  assert.equal(p.zeroPoint, 0);
});

test('the zero point rounds half to even', () => {
  // rmax - rmin = 1.9921875 = 255/128, so scale = 2^-7 exactly and rmin/scale is exact.
  // rmin = -64.5/128: zero point = round(64.5) = 64 (Math.round would say 65)
  let p = computeScaleZeroPoint(-64.5 / 128, 1.9921875 - 64.5 / 128, 0, 255, false);
  assert.equal(p.scale, 2 ** -7);
  assert.equal(p.zeroPoint, 64);
  // rmin = -65.5/128: zero point = round(65.5) = 66
  p = computeScaleZeroPoint(-65.5 / 128, 1.9921875 - 65.5 / 128, 0, 255, false);
  assert.equal(p.scale, 2 ** -7);
  assert.equal(p.zeroPoint, 66);
});

test('rmax - rmin is a float32 subtraction before the float64 division', () => {
  // rmax = 1 + 2^-23, rmin = -9·2^-27 (both float32). Exactly, rmax - rmin = 1 + 25·2^-27, which
  // float32 rounds to 1 + 2^-22 (25/16 of an ulp rounds up to 2 ulps). So the scale is
  // float32((1 + 2^-22) / 255), not float32((1 + 25·2^-27) / 255).
  const rmax = 1 + 2 ** -23;
  const rmin = -9 * 2 ** -27;
  const p = computeScaleZeroPoint(rmin, rmax, 0, 255, false);
  assert.equal(p.scale, Math.fround((1 + 2 ** -22) / 255));
  assert.notEqual(p.scale, Math.fround((1 + 25 * 2 ** -27) / 255)); // the float64-subtraction answer
  assert.equal(p.zeroPoint, 0);
});

test('rmin and rmax are float32: 0.1 is read as float32(0.1)', () => {
  // symmetric int8 absmax float32(0.1) = 0.10000000149011612: scale = float32(0.20000000298023224 / 254)
  const p = computeScaleZeroPoint(-0.1, 0.1, -127, 127, true);
  assert.equal(p.scale, Math.fround(0.20000000298023224 / 254));
});

test('an empty or all-zero range gives scale 1, zero point 0', () => {
  assert.deepEqual(computeScaleZeroPoint(0, 0, -127, 127, true), { scale: 1, zeroPoint: 0 });
  assert.deepEqual(computeScaleZeroPoint(0, 0, 0, 255, false), { scale: 1, zeroPoint: 0 });
  assert.deepEqual(computeScaleZeroPoint(0, 0, -128, 127, false), { scale: 1, zeroPoint: 0 });
});

test('a scale below float32 tiny (2^-126) becomes 1 with zero point 0', () => {
  // absmax 1e-36: scale = 2e-36 / 254 ≈ 7.9e-39 < 1.18e-38
  assert.deepEqual(computeScaleZeroPoint(-1e-36, 1e-36, -127, 127, true), { scale: 1, zeroPoint: 0 });
  // uint8 [0, 1e-40] (a float32 subnormal): scale ≈ 3.9e-43
  assert.deepEqual(computeScaleZeroPoint(0, 1e-40, 0, 255, false), { scale: 1, zeroPoint: 0 });
  // absmax 2e-36: scale = 4e-36 / 254 ≈ 1.57e-38, above tiny, kept
  const p = computeScaleZeroPoint(-2e-36, 2e-36, -127, 127, true);
  assert.equal(p.scale, Math.fround(Math.fround(2 * Math.fround(2e-36)) / 254));
  assert.ok(p.scale > FLOAT32_TINY);
});

test('minRealRange raises rmax to rmin + minRealRange', () => {
  // [0, 1e-6] with MinimumRealRange 1e-4: rmax = 0 + float32(1e-4); scale = float32(1e-4) / 255
  const p = computeScaleZeroPoint(0, 1e-6, 0, 255, false, 1e-4);
  assert.equal(p.scale, Math.fround(Math.fround(1e-4) / 255));
  assert.equal(p.zeroPoint, 0);
  // A range already wider is left alone
  assert.deepEqual(computeScaleZeroPoint(-1, 3, -128, 127, false, 1e-4), computeScaleZeroPoint(-1, 3, -128, 127, false));
});

test('qmin > 0 or qmax < 0 is refused, as ORT does', () => {
  assert.throws(() => computeScaleZeroPoint(-1, 1, 1, 255, false), RangeError);
  assert.throws(() => computeScaleZeroPoint(-1, 1, -128, -1, false), RangeError);
});
