// Quantize / dequantize kernels against values worked out by hand. Scales are picked as powers
// of two where possible so that every quotient below is exact and easy to check on paper.
import { test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelLayout,
  computePerChannelParams,
  computePerTensorParams,
  dequantizeLinear,
  dequantizePerChannel,
  quantizeLinear,
  quantizePerChannel,
  quantizePerChannelWith,
  quantizePerTensor,
  setWasmKernels,
} from '../../src/quant/math/quantize.js';

// Every test runs three times: JavaScript kernels only, WebAssembly SIMD kernels for every run
// (even the shortest), and the default mix. All three must give the same bytes.
const MODES = [false, 'always', true] as const;
function test(name: string, fn: () => void): void {
  for (const mode of MODES) {
    nodeTest(`${name} [kernels: ${mode === false ? 'js' : mode === true ? 'default' : 'wasm'}]`, () => {
      setWasmKernels(mode);
      fn();
    });
  }
}

const int8Sym = { symmetric: true, reduceRange: false };
const uint8Asym = { symmetric: false, reduceRange: false };

const f32 = (...v: number[]): Float32Array => Float32Array.from(v);
const arr = (a: ArrayLike<number>): number[] => Array.from(a);

test('float32 division: 0.35 / 0.1 is 3.5 in float32 (rounds to 4) but 3.4999999 in float64 (3)', () => {
  // float32(0.35) = 0.3499999940395355, float32(0.1) = 0.10000000149011612.
  // Their float64 quotient is 3.499999888241293 → rint 3. Rounded to float32 it is 3.5
  // (3.5 - 1.1e-7 is within half an ulp, 1.2e-7, of 3.5) → rint (ties to even) 4. ORT gives 4.
  const out = new Uint8Array(1);
  quantizeLinear(f32(0.35), 0.1, 0, 0, 255, out);
  assert.equal(out[0], 4);
  const neg = new Int8Array(1);
  quantizeLinear(f32(-0.35), 0.1, 0, -128, 127, neg);
  assert.equal(neg[0], -4);
});

test('quantizeLinear int8: ties to even, then clipped to [-128, 127]', () => {
  const out = new Int8Array(9);
  quantizeLinear(f32(200, -200, 127.5, -128.5, 126.5, 0.5, -0.5, 1.5, 2.5), 1, 0, -128, 127, out);
  assert.deepEqual(arr(out), [127, -128, 127, -128, 126, 0, 0, 2, 2]);
});

test('quantizeLinear uint8 with zero point 128, scale 0.5', () => {
  // x/0.5: -128.5 → -128 (+128 = 0); 127.5 → 128 (256, clip 255); 0.5 → 0 (128); 1.5 → 2 (130);
  // -200 → -72 → clip 0; -1.5 → -2 (126)
  const out = new Uint8Array(6);
  quantizeLinear(f32(-64.25, 63.75, 0.25, 0.75, -100, -0.75), 0.5, 128, 0, 255, out);
  assert.deepEqual(arr(out), [0, 255, 128, 130, 0, 126]);
});

test('quantizeLinear: NaN gives 0, infinities clip', () => {
  const s8 = new Int8Array(3);
  quantizeLinear(f32(NaN, Infinity, -Infinity), 1, 0, -128, 127, s8);
  assert.deepEqual(arr(s8), [0, 127, -128]);
  const u8 = new Uint8Array(3);
  quantizeLinear(f32(NaN, Infinity, -Infinity), 1, 128, 0, 255, u8);
  assert.deepEqual(arr(u8), [0, 255, 0]);
  // Quotients past 2^51 (where the rounding trick is not exact) still clip to the right end.
  quantizeLinear(f32(3e38, -3e38, 2 ** 60), 1e-30, 0, -128, 127, s8);
  assert.deepEqual(arr(s8), [127, -128, 127]);
});

test('quantizeLinear to 16- and 32-bit types', () => {
  const s = 2 ** -10;
  const i16 = new Int16Array(4);
  quantizeLinear(f32(1.5 * s, 40, -40, 2.5 * s), s, 0, -32768, 32767, i16);
  assert.deepEqual(arr(i16), [2, 32767, -32768, 2]);
  const u16 = new Uint16Array(3);
  // -40/s = -40960 + 32768 = -8192 → 0; 1.5 → 2 + 32768; 40/s = 40960 + 32768 → 65535
  quantizeLinear(f32(-40, 1.5 * s, 40), s, 32768, 0, 65535, u16);
  assert.deepEqual(arr(u16), [0, 32770, 65535]);
  const i32 = new Int32Array(3);
  quantizeLinear(f32(3e9, -3e9, 2.5), 1, 0, -2147483648, 2147483647, i32);
  assert.deepEqual(arr(i32), [2147483647, -2147483648, 2]);
});

// Channel values for the per-channel tests (int8 symmetric, range [-127, 127]):
//   A: absmax 127/64 → scale 2·(127/64)/254 = 1/64
//      1.984375 → 127; -1/128 → rint(-0.5) = 0; 3/128 → rint(1.5) = 2; 5/128 → rint(2.5) = 2;
//      -1.984375 → -127; 0.1 → float32(0.1)·64 = 6.4 → 6
//   Z: all zero → scale 1, zero point 0
//   B: absmax 127/8 → scale 1/8
//      15.875 → 127; -15.875 → -127; 0.0625 → rint(0.5) = 0; 0.1875 → rint(1.5) = 2;
//      -0.3125 → rint(-2.5) = -2; 1 → 8
const A = [1.984375, -1 / 128, 3 / 128, 5 / 128, -1.984375, 0.1];
const QA = [127, 0, 2, 2, -127, 6];
const Z = [0, 0, 0, 0, 0, 0];
const QZ = [0, 0, 0, 0, 0, 0];
const B = [15.875, -15.875, 0.0625, 0.1875, -0.3125, 1];
const QB = [127, -127, 0, 2, -2, 8];

/** Lays channel value lists into a row-major tensor of `shape` along `axis`. */
function layOut(shape: number[], axis: number, channels: number[][]): Float32Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const C = shape[axis]!;
  const x = new Float32Array(outer * C * inner);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < C; c++)
      for (let k = 0; k < inner; k++) x[(o * C + c) * inner + k] = channels[c]![o * inner + k]!;
  return x;
}

test('per-channel along axis 0 of a 3-D tensor [3, 2, 3]', () => {
  const x = layOut([3, 2, 3], 0, [A, Z, B]);
  const r = quantizePerChannel(x, [3, 2, 3], 0, 'int8', int8Sym);
  assert.ok(r.data instanceof Int8Array);
  assert.deepEqual(arr(r.scales), [1 / 64, 1, 1 / 8]);
  assert.deepEqual(arr(r.zeroPoints), [0, 0, 0]);
  assert.deepEqual(arr(r.data), [...QA, ...QZ, ...QB]);
});

test('per-channel along axis 1 of a 4-D tensor [3, 3, 1, 2] (channel blocks interleaved)', () => {
  const x = layOut([3, 3, 1, 2], 1, [A, Z, B]);
  const r = quantizePerChannel(x, [3, 3, 1, 2], 1, 'int8', int8Sym);
  assert.deepEqual(arr(r.scales), [1 / 64, 1, 1 / 8]);
  assert.deepEqual(arr(r.data), arr(layOut([3, 3, 1, 2], 1, [QA, QZ, QB])));
});

test('per-channel along the last axis (channels interleaved element by element), axis -1', () => {
  const shape = [2, 3, 3];
  const x = layOut(shape, 2, [A, Z, B]);
  const want = arr(layOut(shape, 2, [QA, QZ, QB]));
  for (const axis of [2, -1]) {
    const r = quantizePerChannel(x, shape, axis, 'int8', int8Sym);
    assert.deepEqual(arr(r.scales), [1 / 64, 1, 1 / 8]);
    assert.deepEqual(arr(r.data), want);
  }
});

test('per-channel uint8 asymmetric: [2, 4, 6] and [-6, -4, -2]', () => {
  // Both ranges widen to include 0: scale 6/255; zero points 0 and 255.
  // 2, 4, 6 → 85, 170, 255; -6, -4, -2 → -255, -170, -85 (+255) = 0, 85, 170
  const r = quantizePerChannel(f32(2, 4, 6, -6, -4, -2), [2, 3], 0, 'uint8', uint8Asym);
  assert.ok(r.data instanceof Uint8Array);
  assert.deepEqual(arr(r.scales), [Math.fround(6 / 255), Math.fround(6 / 255)]);
  assert.deepEqual(arr(r.zeroPoints), [0, 255]);
  assert.deepEqual(arr(r.data), [85, 170, 255, 0, 85, 170]);
});

test('per-channel reduce_range int8: [-64, 64], scale = absmax / 64', () => {
  // absmax 1 → scale 1/64: 1 → 64, -1 → -64, 0.5 → 32, 1/128 → rint(0.5) = 0, 3/128 → 2, -0.25 → -16
  const r = quantizePerChannel(f32(1, -1, 0.5, 1 / 128, 3 / 128, -0.25), [1, 6], 0, 'int8', {
    symmetric: true,
    reduceRange: true,
  });
  assert.deepEqual(arr(r.scales), [1 / 64]);
  assert.deepEqual(arr(r.data), [64, -64, 32, 0, 2, -16]);
});

test('per-channel int16 symmetric along the last axis', () => {
  // ch0 absmax 32767/1024 → scale 1/1024: 32767/1024 → 32767, 1.5/1024 → 2
  // ch1 absmax 32767/512 → scale 1/512: -32767/512 → -32767, 2.5/512 → 2
  const x = f32(32767 / 1024, -32767 / 512, 1.5 / 1024, 2.5 / 512);
  const r = quantizePerChannel(x, [2, 2], 1, 'int16', int8Sym);
  assert.ok(r.data instanceof Int16Array);
  assert.deepEqual(arr(r.scales), [1 / 1024, 1 / 512]);
  assert.deepEqual(arr(r.data), [32767, -32767, 2, 2]);
});

test('symmetric uint8 per channel has zero point 127', () => {
  // absmax 127/64 → scale (2·127/64)/254 = 1/64; 1.984375 → 127 + 127 = 254; -1.984375 → 0
  const r = quantizePerChannel(f32(1.984375, -1.984375, 0), [1, 3], 0, 'uint8', { symmetric: true, reduceRange: false });
  assert.deepEqual(arr(r.zeroPoints), [127]);
  assert.deepEqual(arr(r.data), [254, 0, 127]);
});

test('per-tensor: uint8 [2, 6] range and int8 symmetric', () => {
  const u = quantizePerTensor(f32(2, 6, 4), 'uint8', uint8Asym);
  assert.equal(u.scale, Math.fround(6 / 255));
  assert.equal(u.zeroPoint, 0);
  assert.deepEqual(arr(u.data), [85, 255, 170]);
  const s = quantizePerTensor(f32(...A, ...B), 'int8', int8Sym);
  assert.equal(s.scale, 1 / 8); // absmax 15.875 over the whole tensor
  // A · 8: 15.875 → 16, -0.0625 → 0, 0.1875 → 0, 0.3125 → 0, -15.875 → -16, 0.8 → 1; B as before
  assert.deepEqual(arr(s.data), [16, 0, 0, 0, -16, 1, ...QB]);
  const z = quantizePerTensor(new Float32Array(0), 'int8', int8Sym);
  assert.deepEqual([z.scale, z.zeroPoint, z.data.length], [1, 0, 0]);
  const zeros = quantizePerTensor(new Float32Array(5), 'uint8', uint8Asym);
  assert.deepEqual([zeros.scale, zeros.zeroPoint], [1, 0]);
  assert.deepEqual(computePerTensorParams(f32(2, 6, 4), 'uint8', uint8Asym), { scale: Math.fround(6 / 255), zeroPoint: 0 });
  assert.deepEqual(computePerTensorParams(f32(...A, ...B), 'int8', int8Sym), { scale: 1 / 8, zeroPoint: 0 });
  // A caller-provided output is filled in place; a wrong type or length is refused.
  const into = new Uint8Array(3);
  assert.equal(quantizePerTensor(f32(2, 6, 4), 'uint8', uint8Asym, into).data, into);
  assert.deepEqual(arr(into), [85, 255, 170]);
  assert.throws(() => quantizePerTensor(f32(2, 6, 4), 'int8', int8Sym, new Uint8Array(3)), RangeError);
  assert.throws(() => quantizePerChannel(f32(2, 6, 4), [3], 0, 'uint8', uint8Asym, new Uint8Array(2)), RangeError);
});

test('quantizePerChannelWith gives the same bytes as quantizePerChannel for its own parameters', () => {
  const shape = [4, 3, 5];
  const x = new Float32Array(60);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898) * (1 + (i % 7));
  for (const axis of [0, 1, 2]) {
    const r = quantizePerChannel(x, shape, axis, 'int8', int8Sym);
    const p = computePerChannelParams(x, shape, axis, 'int8', int8Sym);
    assert.deepEqual(arr(p.scales), arr(r.scales));
    const again = quantizePerChannelWith(x, shape, axis, p.scales, p.zeroPoints, new Int8Array(60));
    assert.deepEqual(arr(again), arr(r.data));
  }
  // Doubled scales halve every value (before rounding): 1.984375 / (2/64) = 63.5 → 64
  const y = quantizePerChannelWith(f32(1.984375, 15.875), [2], 0, [2 / 64, 2 / 8], [0, 0], new Int8Array(2));
  assert.deepEqual(arr(y), [64, 64]);
});

test('dequantize: per tensor and per channel', () => {
  assert.deepEqual(arr(dequantizeLinear(Int8Array.of(127, 0, -2), 1 / 64, 0)), [127 / 64, 0, -2 / 64]);
  assert.deepEqual(arr(dequantizeLinear(Uint8Array.of(0, 128, 255), 0.5, 128)), [-64, 0, 63.5]);
  const r = quantizePerChannel(layOut([3, 2, 3], 0, [A, Z, B]), [3, 2, 3], 0, 'int8', int8Sym);
  const d = dequantizePerChannel(r.data, [3, 2, 3], 0, r.scales, r.zeroPoints);
  assert.deepEqual(arr(d), [127 / 64, 0, 2 / 64, 2 / 64, -127 / 64, 6 / 64, ...Z, 127 / 8, -127 / 8, 0, 2 / 8, -2 / 8, 1]);
});

test('round trip error is at most half a scale step inside the range', () => {
  const shape = [8, 16, 3];
  const x = new Float32Array(8 * 16 * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(Math.sin(i * 78.233) * 3 + Math.cos(i) * 0.5);
  for (const axis of [0, 1, 2]) {
    const r = quantizePerChannel(x, shape, axis, 'int8', int8Sym);
    const d = dequantizePerChannel(r.data, shape, axis, r.scales, r.zeroPoints);
    const l = channelLayout(shape, axis);
    for (let i = 0; i < x.length; i++) {
      const c = Math.floor(i / l.inner) % l.channels;
      assert.ok(Math.abs(d[i]! - x[i]!) <= r.scales[c]! * 0.50001, `axis ${axis} element ${i}`);
    }
  }
});

test('bad shapes and axes are refused', () => {
  assert.throws(() => quantizePerChannel(new Float32Array(6), [2, 4], 0, 'int8', int8Sym), RangeError);
  assert.throws(() => quantizePerChannel(new Float32Array(6), [2, 3], 2, 'int8', int8Sym), RangeError);
  assert.throws(() => quantizePerChannel(new Float32Array(6), [2, 3], -3, 'int8', int8Sym), RangeError);
  assert.throws(() => quantizeLinear(new Float32Array(3), 1, 0, -128, 127, new Int8Array(2)), RangeError);
  assert.deepEqual(channelLayout([2, 3, 4, 5], -2), { axis: 2, outer: 6, channels: 4, inner: 5 });
});
