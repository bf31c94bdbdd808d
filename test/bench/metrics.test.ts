import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FidelityAccumulator,
  argmaxRows,
  cosineSimilarity,
  inTopK,
  isClassifierShape,
  maxAbsError,
  meanAbsError,
  sqnrDb,
  toFloat32,
} from '../../src/bench/metrics.js';
import { float32ArrayToHalf } from '../../src/onnx/float16.js';

const f = (...v: number[]): Float32Array => Float32Array.from(v);
const close = (actual: number, expected: number, tol = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} is not within ${tol} of ${expected}`);

test('cosine of orthogonal, parallel and opposite vectors', () => {
  assert.equal(cosineSimilarity(f(1, 0), f(0, 1)), 0);
  close(cosineSimilarity(f(1, 2, 3), f(2, 4, 6)), 1);
  close(cosineSimilarity(f(1, 2, 3), f(-1, -2, -3)), -1);
  // [1,1] vs [1,0]: 1 / (sqrt 2 · 1)
  close(cosineSimilarity(f(1, 1), f(1, 0)), 1 / Math.SQRT2, 1e-12);
});

test('cosine with zero vectors: both zero is 1, one zero is 0', () => {
  assert.equal(cosineSimilarity(f(0, 0, 0), f(0, 0, 0)), 1);
  assert.equal(cosineSimilarity(f(0, 0), f(1, 2)), 0);
  assert.equal(cosineSimilarity(f(3, 4), f(0, 0)), 0);
  assert.equal(cosineSimilarity(f(), f()), 1);
});

test('metrics refuse arrays of different lengths', () => {
  assert.throws(() => cosineSimilarity(f(1, 2), f(1)), RangeError);
  assert.throws(() => sqnrDb(f(1, 2), f(1)), RangeError);
  assert.throws(() => new FidelityAccumulator('y').add(f(1), f(1, 2)), RangeError);
});

test('SQNR of a known error, and of identical / zero-reference arrays', () => {
  // ref [3,4], test [3,5]: signal 9+16 = 25, noise 1 → 10·log10(25) = 13.9794 dB
  close(sqnrDb(f(3, 4), f(3, 5)), 13.979400086720377, 1e-9);
  // ref [1,1,1,1], test [1.1,0.9,1,1]: 4 / 0.02 = 200 → 23.0103 dB (float32 inputs: looser tolerance)
  close(sqnrDb(f(1, 1, 1, 1), f(1.1, 0.9, 1, 1)), 10 * Math.log10(200), 1e-5);
  assert.equal(sqnrDb(f(1, 2, 3), f(1, 2, 3)), Infinity);
  assert.equal(sqnrDb(f(0, 0), f(0, 1)), -Infinity);
});

test('max and mean absolute error', () => {
  assert.equal(maxAbsError(f(1, 2, 3), f(1, 4, 2.5)), 2);
  assert.equal(meanAbsError(f(1, 2, 3), f(1, 4, 2.5)), 2.5 / 3);
  assert.equal(maxAbsError(f(), f()), 0);
  assert.equal(meanAbsError(f(), f()), 0);
});

test('classifier shapes and argmax per row', () => {
  assert.ok(isClassifierShape([1, 10]));
  assert.ok(isClassifierShape([4, 2]));
  assert.ok(isClassifierShape([10]));
  assert.ok(!isClassifierShape([4, 1]));
  assert.ok(!isClassifierShape([1]));
  assert.ok(!isClassifierShape([1, 3, 8, 8]));
  assert.ok(!isClassifierShape([]));
  assert.deepEqual([...argmaxRows(f(0.1, 0.7, 0.2, 5, -1, 5), [2, 3])], [1, 0]); // tie → first
  assert.deepEqual([...argmaxRows(f(-3, -2, -9), [3])], [1]);
  assert.deepEqual([...argmaxRows(f(NaN, 1, 2, NaN, NaN, NaN), [2, 3])], [2, 0]);
  assert.deepEqual([...argmaxRows(f(-Infinity, -Infinity), [1, 2])], [0]);
  assert.throws(() => argmaxRows(f(1, 2, 3), [2, 2]), RangeError);
});

test('toFloat32 converts every numeric storage', () => {
  const a = f(1, 2);
  assert.equal(toFloat32(a), a, 'a Float32Array is returned without a copy');
  assert.deepEqual([...toFloat32(Float64Array.of(1.5, -2))], [1.5, -2]);
  assert.deepEqual([...toFloat32(BigInt64Array.of(3n, -4n))], [3, -4]);
  assert.deepEqual([...toFloat32(Int8Array.of(-128, 127))], [-128, 127]);
  assert.deepEqual([...toFloat32(float32ArrayToHalf(f(0.5, -1.25, 1024)), 'float16')], [0.5, -1.25, 1024]);
  assert.deepEqual([...toFloat32(Uint16Array.of(0x3f80, 0xc000), 'bfloat16')], [1, -2]);
  assert.deepEqual([...toFloat32(Uint16Array.of(7, 9))], [7, 9], 'plain uint16 stays integers');
  assert.deepEqual([...toFloat32([1, 2, 3])], [1, 2, 3]);
});

/** Deterministic pseudo-random floats in [-1, 1). */
function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

test('the accumulator over samples equals the one-shot metrics over the concatenation', () => {
  const refs: Float32Array[] = [];
  const tests: Float32Array[] = [];
  const acc = new FidelityAccumulator('logits');
  for (let k = 0; k < 7; k++) {
    const ref = noise(2 * 10, 100 + k);
    const err = noise(2 * 10, 200 + k);
    const tst = ref.map((v, i) => v + 0.05 * err[i]!);
    refs.push(ref);
    tests.push(tst);
    acc.add(ref, tst, [2, 10]);
  }
  const cat = (parts: Float32Array[]): Float32Array => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const R = cat(refs);
  const T = cat(tests);
  const s = acc.summary();
  assert.equal(s.samples, 7);
  assert.equal(s.elements, 140);
  assert.equal(s.nonFinite, 0);
  close(s.cosine, cosineSimilarity(R, T), 1e-12);
  close(s.sqnrDb, sqnrDb(R, T), 1e-9);
  assert.equal(s.maxAbsError, maxAbsError(R, T));
  close(s.meanAbsError, meanAbsError(R, T), 1e-12);
  // top-1 agreement over the 14 rows, computed directly
  const a = argmaxRows(R, [14, 10]);
  const b = argmaxRows(T, [14, 10]);
  const agree = a.filter((v, i) => v === b[i]).length;
  assert.equal(s.rows, 14);
  assert.equal(s.top1Agreements, agree);
  assert.equal(s.top1Agreement, agree / 14);
  assert.equal(s.labeled, 0);
});

test('the accumulator counts top-1 agreement and per-model correct labels', () => {
  const acc = new FidelityAccumulator('y');
  acc.add(f(0, 1, 0), f(0, 1, 0), [1, 3], 1); // both right
  acc.add(f(1, 0, 0), f(0, 0, 1), [1, 3], 0); // ref right, test wrong, disagree
  acc.add(f(0, 0, 1), f(0, 0, 1), [1, 3], 1); // both wrong, agree
  acc.add(f(1, 0, 0, 0, 2, 0), f(1, 0, 0, 0, 0, 3), [2, 3], [0, 2]); // rows: both right; ref wrong test right
  const s = acc.summary();
  assert.equal(s.rows, 5);
  assert.equal(s.top1Agreements, 3);
  assert.equal(s.top1Agreement, 3 / 5);
  assert.equal(s.labeled, 5);
  assert.equal(s.referenceCorrect, 3);
  assert.equal(s.testCorrect, 3);
  assert.throws(() => acc.add(f(1, 0, 0, 1), f(1, 0, 0, 1), [2, 2], 1), /1 label\(s\) for 2 row/);
});

test('the accumulator: identical samples give cosine 1 and infinite SQNR; non-classifier outputs have no agreement', () => {
  const acc = new FidelityAccumulator('feat');
  acc.add(f(1, 2, 3, 4), f(1, 2, 3, 4), [1, 1, 2, 2]);
  acc.add(f(0, 0, 0, 0), f(0, 0, 0, 0), [1, 1, 2, 2]);
  const s = acc.summary();
  assert.equal(s.cosine, 1);
  assert.equal(s.sqnrDb, Infinity);
  assert.equal(s.maxAbsError, 0);
  assert.equal(s.rows, 0);
  assert.equal(s.top1Agreement, undefined);
});

test('the accumulator skips and counts non-finite pairs', () => {
  const acc = new FidelityAccumulator('y');
  acc.add(f(1, 2, NaN, 4), f(1, Infinity, 3, 4));
  const s = acc.summary();
  assert.equal(s.nonFinite, 2);
  assert.equal(s.elements, 2);
  assert.equal(s.cosine, 1);
  assert.equal(s.maxAbsError, 0);
});

test('inTopK ranks the label among the row, ties broken by index as argmax does', () => {
  const row = f(0.1, 0.9, 0.5, 0.5, 0.2, 0.3, 0.0);
  // descending: 1 (0.9), 2 (0.5), 3 (0.5, tie after 2), 5 (0.3), 4 (0.2), 0 (0.1), 6 (0.0)
  assert.equal(inTopK(row, 0, 7, 1, 1), true);
  assert.equal(inTopK(row, 0, 7, 2, 1), false);
  assert.equal(inTopK(row, 0, 7, 3, 2), false, 'the tie at 0.5 goes to the lower index');
  assert.equal(inTopK(row, 0, 7, 3, 3), true);
  assert.equal(inTopK(row, 0, 7, 4, 5), true);
  assert.equal(inTopK(row, 0, 7, 0, 5), false);
  assert.equal(inTopK(row, 0, 7, 7, 5), false, 'a label outside the row');
  assert.equal(inTopK(f(NaN, 1, 2), 0, 3, 0, 3), false, 'NaN at the label never counts');
  // the second row of a [2, 3] output
  assert.equal(inTopK(f(9, 9, 9, 0, 1, 2), 3, 3, 2, 1), true);
  assert.equal(inTopK(f(9, 9, 9, 0, 1, 2), 3, 3, 0, 2), false);
});

test('the accumulator counts top-5 hits per model for labeled rows of more than 5 classes', () => {
  const acc = new FidelityAccumulator('y');
  const ref = f(0, 1, 2, 3, 4, 5, 6, 7); // label 3 is 5th highest: in the top 5
  const test = f(7, 6, 5, 4, 3, 2, 1, 0); // label 3 is 4th highest here; label 2 third
  acc.add(ref, test, [1, 8], 3);
  acc.add(ref, test, [1, 8], 2); // ref: 6th highest (out); test: 3rd (in)
  const s = acc.summary();
  assert.equal(s.classes, 8);
  assert.equal(s.labeled, 2);
  assert.equal(s.referenceTop5, 1);
  assert.equal(s.testTop5, 2);
  assert.equal(s.referenceCorrect, 0);
  assert.equal(s.testCorrect, 0);
});
