// The WebAssembly SIMD kernels of block quantization give the same codes,
// scales and zero points as the JavaScript loops (the reference, ORT's
// formulas written out): both layouts, 2 and 4 bits, with and without zero
// points, widths with a scalar tail (N % 4 != 0), K with a partial block,
// and values on exact rounding ties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeKMajor, quantizeNMajor, type BlockSpec } from '../../src/quant/nbits/blocks.js';
import { nbitsKernels, setNBitsKernels } from '../../src/quant/nbits/wasm-nbits.js';
import { accumulateXtX } from '../../src/calib/second-moments.js';
import { Rng } from '../helpers/models.js';

function both<T>(run: () => T): [T, T] {
  assert.ok(setNBitsKernels(true), 'WebAssembly SIMD is available in this Node');
  const wasm = run();
  setNBitsKernels(false);
  const js = run();
  setNBitsKernels(true);
  return [wasm, js];
}

/** Random weights with some exact multiples of a step, so x / scale lands on .5 ties. */
function weights(rng: Rng, count: number): Float32Array {
  const w = rng.normalArray(count, 0.1);
  for (let i = 0; i < count; i += 7) w[i] = (Math.round(w[i]! * 160) + 0.5) / 160;
  return w;
}

for (const bits of [4, 2] as const) {
  for (const symmetric of [true, false]) {
    for (const [k, n, blockSize] of [[96, 37, 32], [100, 40, 32], [64, 3, 16], [300, 130, 128]] as const) {
      const spec: BlockSpec = { bits, blockSize, symmetric };
      test(`SIMD = JavaScript: ${bits}-bit ${symmetric ? 'symmetric' : 'with zero points'}, K ${k}, N ${n}, block ${blockSize}`, () => {
        const w = weights(new Rng(k * n + bits), k * n);
        const [a, b] = both(() => quantizeKMajor(w, k, n, spec));
        assert.deepEqual(a.scales, b.scales);
        assert.deepEqual(a.zeroPoints, b.zeroPoints);
        assert.deepEqual(a.codes, b.codes, '[K, N] codes');
        const [c, d] = both(() => quantizeNMajor(w, n, k, spec));
        assert.deepEqual(c.scales, d.scales);
        assert.deepEqual(c.zeroPoints, d.zeroPoints);
        assert.deepEqual(c.codes, d.codes, '[N, K] codes');
      });
    }
  }
}

test('X^T X in WebAssembly (float32 sums per call) = the JavaScript float64 sums within 1e-5, widths not a multiple of 4 and odd row counts included', () => {
  const kernels = nbitsKernels()!;
  for (const [rows, k] of [[128, 96], [37, 130], [5, 7]] as const) {
    const x = new Rng(rows + k).normalArray(rows * k);
    const [js, wasm] = [new Float64Array(k * k), new Float64Array(k * k)];
    assert.equal(accumulateXtX(js, x, k), rows);
    assert.equal(kernels.xtx(x, k, wasm), rows);
    kernels.xtx(x, k, wasm); // twice: sums accumulate across calls
    for (let a = 0; a < k; a++) for (let b = a; b < k; b++) {
      assert.ok(Math.abs(wasm[a * k + b]! - 2 * js[a * k + b]!) <= 1e-5 * (1 + Math.abs(2 * js[a * k + b]!)), `H[${a},${b}]`);
    }
  }
});
