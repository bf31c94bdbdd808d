// The WebAssembly SIMD kernels against the JavaScript ones on shapes that the hand-worked tests
// do not reach: channel blocks past the staging chunk (32768 floats), row chunks, vector tails
// (lengths not a multiple of 16, channel counts not a multiple of 4), and special values
// (NaN, ±Infinity, huge quotients, exact .5 ties).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  computePerChannelParams,
  quantizeLinear,
  quantizePerChannel,
  quantizePerChannelWith,
  quantizePerTensor,
  setWasmKernels,
} from '../../src/quant/math/quantize.js';
import type { QuantType } from '../../src/quant/math/ranges.js';
import { sleb, uleb } from '../../src/quant/math/wasm-asm.js';

/** Deterministic test data with ties, zeros, and optionally special values sprinkled in. */
function data(n: number, seed: number, special: boolean): Float32Array {
  const x = new Float32Array(n);
  let s = seed | 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    const u = ((s >>> 8) & 0xffff) / 65536;
    x[i] = (u - 0.45) * (1 + (i % 13)) * 0.37;
    if (i % 97 === 5) x[i] = ((i % 9) - 4 + 0.5) / 64; // exact halves of 1/64 steps
    if (i % 89 === 3) x[i] = 0;
  }
  if (special && n > 40) {
    x[7] = NaN;
    x[n - 3] = NaN;
    x[11] = Infinity;
    x[n - 9] = -Infinity;
    x[19] = 3e38;
    x[23] = -3e38;
  }
  return x;
}

const arr = (a: ArrayLike<number>): number[] => Array.from(a);

const cases: Array<{ shape: number[]; axis: number }> = [
  { shape: [3, 40000], axis: 0 }, // blocks longer than one staging chunk, tail of 40000 % 16
  { shape: [40000, 3], axis: 1 }, // channel axis last, 3 channels: scalar tail only
  { shape: [67, 1031], axis: 0 }, // block tails
  { shape: [67, 1031], axis: 1 }, // rows: 1031 % 4 = 3, 31 rows per chunk, 3 chunks
  { shape: [5, 64, 130], axis: 1 }, // interleaved blocks of 130
  { shape: [2, 33000], axis: 1 }, // rows longer than a staging chunk
  { shape: [9, 16, 8], axis: 2 }, // 8 channels: vector part only
];

test('uleb / sleb encode as the spec says', () => {
  assert.deepEqual(uleb(0), [0]);
  assert.deepEqual(uleb(127), [0x7f]);
  assert.deepEqual(uleb(128), [0x80, 0x01]);
  assert.deepEqual(uleb(0xe0), [0xe0, 0x01]);
  assert.deepEqual(uleb(624485), [0xe5, 0x8e, 0x26]);
  assert.deepEqual(sleb(-1), [0x7f]);
  assert.deepEqual(sleb(-16), [0x70]);
  assert.deepEqual(sleb(64), [0xc0, 0x00]);
  assert.deepEqual(sleb(-123456), [0xc0, 0xbb, 0x78]);
});

test('WebAssembly SIMD is available on this Node (else everything runs in JavaScript)', () => {
  assert.equal(setWasmKernels(true), true);
});

for (const { shape, axis } of cases) {
  for (const [type, symmetric] of [['int8', true], ['uint8', false], ['uint8', true], ['int8', false]] as Array<[QuantType, boolean]>) {
    test(`per-channel ${type} ${symmetric ? 'symmetric' : 'asymmetric'} [${shape.join(', ')}] axis ${axis}: wasm = js`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = data(n, n + axis, false);
      const opts = { symmetric, reduceRange: false };
      setWasmKernels(false);
      const js = quantizePerChannel(x, shape, axis, type, opts);
      for (const mode of [true, 'always'] as const) {
        setWasmKernels(mode);
        const w = quantizePerChannel(x, shape, axis, type, opts);
        assert.deepEqual(arr(w.scales), arr(js.scales));
        assert.deepEqual(arr(w.zeroPoints), arr(js.zeroPoints));
        assert.ok(Buffer.compare(Buffer.from(w.data.buffer), Buffer.from(js.data.buffer)) === 0, `mode ${mode}`);
      }
      setWasmKernels(true);
    });
  }
}

test('special values (NaN, ±Infinity, ±3e38) through range and quantize passes: wasm = js', () => {
  for (const { shape, axis } of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    const x = data(n, 7 * n, true);
    for (const symmetric of [true, false]) {
      const opts = { symmetric, reduceRange: false };
      setWasmKernels(false);
      const js = computePerChannelParams(x, shape, axis, 'int8', opts);
      // Fixed parameters so that the special values land in the quantize pass too.
      const scales = Float32Array.from(js.scales, (s, i) => (i % 2 === 0 ? s : 2 ** -7));
      const zps = Int8Array.from(js.zeroPoints, (z, i) => (i % 3 === 0 ? 0 : z));
      const jsQ = quantizePerChannelWith(x, shape, axis, scales, zps, new Int8Array(n));
      for (const mode of [true, 'always'] as const) {
        setWasmKernels(mode);
        const w = computePerChannelParams(x, shape, axis, 'int8', opts);
        assert.deepEqual(arr(w.scales), arr(js.scales), `[${shape}] axis ${axis} ${mode}`);
        assert.deepEqual(arr(w.zeroPoints), arr(js.zeroPoints));
        const wQ = quantizePerChannelWith(x, shape, axis, scales, zps, new Int8Array(n));
        assert.deepEqual(arr(wQ), arr(jsQ), `[${shape}] axis ${axis} ${mode}`);
      }
    }
  }
  setWasmKernels(true);
});

test('per-tensor and QuantizeLinear with activation-style parameters (clipping both ends): wasm = js', () => {
  const x = data(50021, 99, true);
  for (const [type, scale, zp, lo, hi] of [
    ['uint8', 0.0021, 131, 0, 255],
    ['int8', 0.0007, -3, -128, 127],
  ] as Array<[QuantType, number, number, number, number]>) {
    setWasmKernels(false);
    const mk = (): Int8Array | Uint8Array => (type === 'int8' ? new Int8Array(x.length) : new Uint8Array(x.length));
    const js = quantizeLinear(x, scale, zp, lo, hi, mk());
    const jsT = quantizePerTensor(x, type, { symmetric: type === 'int8', reduceRange: false });
    for (const mode of [true, 'always'] as const) {
      setWasmKernels(mode);
      assert.deepEqual(arr(quantizeLinear(x, scale, zp, lo, hi, mk())), arr(js));
      const t = quantizePerTensor(x, type, { symmetric: type === 'int8', reduceRange: false });
      assert.deepEqual([t.scale, t.zeroPoint], [jsT.scale, jsT.zeroPoint]);
      assert.deepEqual(arr(t.data), arr(jsT.data));
    }
  }
  setWasmKernels(true);
});
