// The error-compensating and data-free methods against round to nearest on
// the quantity each one minimises: GPTQ the output error ||X (W - Q)||^2 on
// correlated inputs X (what its Hessian X^T X describes), HQQ the weight
// error. Also the pieces GPTQ rests on: X^T X accumulation and the inverse
// Hessian's Cholesky factor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accumulateXtX } from '../../src/calib/second-moments.js';
import { dequantizeToKMajor, quantizeKMajor } from '../../src/quant/nbits/blocks.js';
import { inverseHessianFactor, quantizeGptqKMajor } from '../../src/quant/nbits/gptq.js';
import { Rng } from '../helpers/models.js';

/** Rows of correlated features: Z [rows, k] N(0,1) mixed by a random [k, k] matrix, plus a few dominant channels. */
function correlatedInputs(rng: Rng, rows: number, k: number): Float32Array {
  const z = rng.normalArray(rows * k);
  const mix = rng.normalArray(k * k, 1 / Math.sqrt(k));
  const x = new Float32Array(rows * k);
  for (let r = 0; r < rows; r++) for (let a = 0; a < k; a++) {
    let s = z[r * k + a]! * 0.3;
    for (let b = 0; b < k; b++) s += z[r * k + b]! * mix[b * k + a]!;
    x[r * k + a] = a % 7 === 0 ? 4 * s : s;
  }
  return x;
}

function hessianOf(x: Float32Array, k: number): Float64Array {
  const h = new Float64Array(k * k);
  accumulateXtX(h, x, k);
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) h[b * k + a] = h[a * k + b]!;
  return h;
}

/** ||X (W - Q)||^2 */
function outputError(x: Float32Array, w: Float32Array, q: Float32Array, rows: number, k: number, n: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) for (let c = 0; c < n; c++) {
    let s = 0;
    for (let a = 0; a < k; a++) s += x[r * k + a]! * (w[a * n + c]! - q[a * n + c]!);
    total += s * s;
  }
  return total;
}

test('X^T X accumulates the sum over rows of outer products, whatever the row tiling', () => {
  const rng = new Rng(3);
  const [rows, k] = [37, 9];
  const x = rng.normalArray(rows * k);
  const h = hessianOf(x, k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r * k + a]! * x[r * k + b]!;
    assert.ok(Math.abs(h[a * k + b]! - s) <= 1e-9 * (1 + Math.abs(s)), `H[${a},${b}] = ${h[a * k + b]} vs ${s}`);
  }
  // Folding two halves gives the same as one pass.
  const twice = new Float64Array(k * k);
  accumulateXtX(twice, x.subarray(0, 20 * k), k);
  accumulateXtX(twice, x.subarray(20 * k), k);
  for (let a = 0; a < k; a++) for (let b = a; b < k; b++) assert.ok(Math.abs(twice[a * k + b]! - h[a * k + b]!) < 1e-9 * (1 + Math.abs(h[a * k + b]!)));
});

test('the inverse Hessian factor U satisfies U^T U H = I (dampened), and unseen inputs are marked dead', () => {
  const rng = new Rng(4);
  const k = 12;
  const x = rng.normalArray(50 * k);
  for (let r = 0; r < 50; r++) x[r * k + 5] = 0; // input 5 never active
  const h = hessianOf(x, k);
  const { u, dead } = inverseHessianFactor(h, k, 0.01);
  assert.deepEqual(Array.from(dead), Array.from({ length: k }, (_, i) => (i === 5 ? 1 : 0)));
  // Rebuild the dampened H the way GPTQ does, and check (U^T U) H = I.
  const hd = Float64Array.from(h);
  hd[5 * k + 5] = 1;
  let mean = 0;
  for (let i = 0; i < k; i++) mean += hd[i * k + i]!;
  for (let i = 0; i < k; i++) hd[i * k + i]! += (0.01 * mean) / k;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) {
      let hinv = 0;
      for (let q = 0; q < k; q++) hinv += u[q * k + i]! * u[q * k + p]!;
      s += hinv * hd[p * k + j]!;
    }
    assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-8, `(H^-1 H)[${i},${j}] = ${s}`);
  }
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) assert.equal(u[i * k + j], 0, 'U is upper triangular');
});

for (const [bits, symmetric] of [[4, true], [4, false], [2, false]] as const) {
  test(`GPTQ ${bits}-bit ${symmetric ? 'symmetric' : 'with zero points'} has a lower output error than round to nearest on correlated inputs`, () => {
    const rng = new Rng(10 + bits);
    const [rows, k, n] = [256, 96, 24];
    const x = correlatedInputs(rng, rows, k);
    const w = rng.normalArray(k * n, 0.1);
    const spec = { bits, blockSize: 32, symmetric } as const;
    const rtn = dequantizeToKMajor(quantizeKMajor(w, k, n, spec));
    const gptq = quantizeGptqKMajor(w, k, n, hessianOf(x, k), spec);
    const eRtn = outputError(x, w, rtn, rows, k, n);
    const eGptq = outputError(x, w, dequantizeToKMajor(gptq), rows, k, n);
    assert.ok(eGptq < 0.8 * eRtn, `GPTQ output error ${eGptq.toFixed(3)} vs RTN ${eRtn.toFixed(3)}`);
    // Still a valid block quantization: codes in range, padding none here.
    assert.ok(gptq.codes.every((c) => c < 1 << bits));
  });
}

test('GPTQ with K not a multiple of the block size pads like round to nearest and still beats it', () => {
  const rng = new Rng(21);
  const [rows, k, n] = [200, 70, 10];
  const x = correlatedInputs(rng, rows, k);
  const w = rng.normalArray(k * n, 0.1);
  const spec = { bits: 4, blockSize: 32, symmetric: true } as const;
  const g = quantizeGptqKMajor(w, k, n, hessianOf(x, k), spec);
  assert.equal(g.kBlocks, 3);
  const kPad = 96;
  for (let c = 0; c < n; c++) for (let r = k; r < kPad; r++) assert.equal(g.codes[c * kPad + r], 8, 'padding holds the zero point');
  const eRtn = outputError(x, w, dequantizeToKMajor(quantizeKMajor(w, k, n, spec)), rows, k, n);
  assert.ok(outputError(x, w, dequantizeToKMajor(g), rows, k, n) < eRtn);
});
