// --method auto's range: the clipping with the smallest expected uint8
// quantization error, read off a histogram; checked against a brute-force
// measurement of the actual error on the values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, mseRange } from '../../src/calib/histogram.js';
import { mulberry32 } from '../../src/prng.js';

function normal(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand()));
}

/** The actual mean squared error of uint8 fake quantization with range [lo, hi] (ORT's scale/zero point, round half to even). */
function actualMse(values: Float32Array, lo: number, hi: number): number {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const scale = (max - min) / 255;
  const zp = Math.round(-min / scale);
  let sum = 0;
  for (const v of values) {
    const q = Math.min(255, Math.max(0, Math.round(v / scale) + zp));
    sum += (v - (q - zp) * scale) ** 2;
  }
  return sum / values.length;
}

test('one sample of 16 with a value 5000× the rest: weighted by each sample\'s signal power, it is clipped and the samples\' summed noise/signal drops', () => {
  const samples = Array.from({ length: 16 }, (_, s) => normal(4096, s + 1));
  samples[0]![17] = 5000;
  const h = new Histogram(-5, 5000, 8192);
  const power = (v: Float32Array) => v.reduce((a, x) => a + x * x, 0);
  for (const v of samples) h.add(v, 1 / power(v));
  const r = mseRange(h);
  assert.ok(r.max < 20, `max ${r.max} clips the outlier`);
  assert.ok(r.max > 2.5, `max ${r.max} keeps the bulk`);
  const nsr = (lo: number, hi: number) => samples.reduce((a, v) => a + (actualMse(v, lo, hi) * v.length) / power(v), 0);
  assert.ok(nsr(r.min, r.max) < nsr(-5, 5000) / 10, `summed noise/signal ${nsr(r.min, r.max)} vs ${nsr(-5, 5000)} with the observed range`);
});

test('unweighted (one sample), a single value of 500 among 100 000 is kept: clipping it costs more squared error than rounding saves', () => {
  const values = normal(100_000, 1);
  values[17] = 500;
  const h = new Histogram(-5, 500, 8192);
  h.add(values);
  const r = mseRange(h);
  assert.ok(r.max > 400, `max ${r.max}`);
  assert.ok(actualMse(values, r.min, r.max) <= actualMse(values, -5, 500) * 1.01);
});

test('a uniform distribution keeps (nearly) its whole range; an all-positive one keeps 0 as its minimum', () => {
  const rand = mulberry32(3);
  const values = Float32Array.from({ length: 50_000 }, () => rand() * 4);
  const h = new Histogram(0, 4, 8192);
  h.add(values);
  const r = mseRange(h);
  assert.equal(r.min, 0);
  assert.ok(r.max > 3.9, `max ${r.max}`);
});

test('the chosen range is never measurably worse than the observed one (random heavy-tailed data)', () => {
  for (let seed = 1; seed <= 5; seed++) {
    const values = normal(20_000, seed).map((v, i) => (i % 997 === 0 ? v * 40 : v));
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const h = new Histogram(min, max, 8192);
    h.add(values);
    const r = mseRange(h);
    assert.ok(actualMse(values, r.min, r.max) <= actualMse(values, min, max) * 1.01, `seed ${seed}`);
  }
});
