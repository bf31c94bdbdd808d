// FLOAT16/BFLOAT16 conversions against bit patterns worked out by hand from
// IEEE 754 binary16 (1 sign, 5 exponent bits with bias 15, 10 mantissa bits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bfloat16BitsToFloat32, float32ToBfloat16Bits, float32ToHalfBits, halfArrayToFloat32, halfBitsToFloat32,
} from '../../src/onnx/float16.js';

test('float32 to half: normal values, limits and rounding to nearest even', () => {
  assert.equal(float32ToHalfBits(1), 0x3c00);
  assert.equal(float32ToHalfBits(-2), 0xc000);
  assert.equal(float32ToHalfBits(0.5), 0x3800);
  assert.equal(float32ToHalfBits(65504), 0x7bff); // largest half
  assert.equal(float32ToHalfBits(65519), 0x7bff); // below the midpoint to 65536: stays finite
  assert.equal(float32ToHalfBits(65520), 0x7c00); // the midpoint: ties to even, which is Inf
  assert.equal(float32ToHalfBits(1e6), 0x7c00);
  // 1 + 2^-11 lies halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01): ties to even.
  assert.equal(float32ToHalfBits(1 + 2 ** -11), 0x3c00);
  // 1 + 3*2^-11 lies halfway between 0x3c01 (odd) and 0x3c02 (even).
  assert.equal(float32ToHalfBits(1 + 3 * 2 ** -11), 0x3c02);
  // Just above the halfway point rounds up.
  assert.equal(float32ToHalfBits(1 + 2 ** -11 + 2 ** -20), 0x3c01);
});

test('float32 to half: subnormals, zeros, Inf and NaN', () => {
  assert.equal(float32ToHalfBits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(float32ToHalfBits(2 ** -25), 0x0000); // halfway to it: ties to even (0)
  assert.equal(float32ToHalfBits(3 * 2 ** -25), 0x0002); // 1.5 units: ties to even (2)
  assert.equal(float32ToHalfBits(2 ** -14), 0x0400); // smallest normal
  assert.equal(float32ToHalfBits(2 ** -14 - 2 ** -25), 0x0400); // 1023.5 units rounds to even 1024 = smallest normal
  assert.equal(float32ToHalfBits(-0), 0x8000);
  assert.equal(float32ToHalfBits(0), 0x0000);
  assert.equal(float32ToHalfBits(Infinity), 0x7c00);
  assert.equal(float32ToHalfBits(-Infinity), 0xfc00);
  const nan = float32ToHalfBits(NaN);
  assert.equal(nan & 0x7c00, 0x7c00);
  assert.notEqual(nan & 0x03ff, 0, 'NaN keeps a non-zero mantissa');
});

test('half to float32 is exact and round-trips every half value', () => {
  assert.equal(halfBitsToFloat32(0x3c00), 1);
  assert.equal(halfBitsToFloat32(0x0001), 2 ** -24);
  assert.equal(halfBitsToFloat32(0x7bff), 65504);
  assert.equal(halfBitsToFloat32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(halfBitsToFloat32(0x7e00)));
  assert.ok(Object.is(halfBitsToFloat32(0x8000), -0));
  const all = new Uint16Array(65536).map((_, i) => i);
  const floats = halfArrayToFloat32(all);
  for (let h = 0; h < 65536; h++) {
    if (Number.isNaN(floats[h])) continue;
    assert.equal(float32ToHalfBits(floats[h]!), h, `half 0x${h.toString(16)} round-trips`);
  }
});

test('bfloat16: truncation with round to nearest even, NaN stays NaN', () => {
  assert.equal(float32ToBfloat16Bits(1), 0x3f80);
  assert.equal(float32ToBfloat16Bits(-1), 0xbf80);
  // 1 + 2^-8 is halfway between 0x3f80 (even) and 0x3f81: stays 0x3f80.
  assert.equal(float32ToBfloat16Bits(1 + 2 ** -8), 0x3f80);
  // 1 + 3*2^-8 is halfway between 0x3f81 (odd) and 0x3f82: goes to 0x3f82.
  assert.equal(float32ToBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(float32ToBfloat16Bits(Infinity), 0x7f80);
  const nan = float32ToBfloat16Bits(NaN);
  assert.equal(nan & 0x7f80, 0x7f80);
  assert.notEqual(nan & 0x7f, 0);
  assert.equal(bfloat16BitsToFloat32(0x4049), 3.140625);
});
