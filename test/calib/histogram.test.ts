// Histogram-based calibration: quantiles, the two-sided percentile range
// and the entropy (KL) threshold, on distributions whose answer is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, entropyThreshold, percentileRange } from '../../src/calib/histogram.js';
import { mulberry32 } from '../../src/prng.js';

test('quantiles interpolate inside bins', () => {
  const h = new Histogram(0, 1000, 1000);
  h.add(Float32Array.from({ length: 1000 }, (_, i) => i + 0.5)); // one value per bin
  assert.equal(h.total, 1000);
  assert.equal(h.quantile(0.5), 500);
  assert.equal(h.quantile(0.25), 250);
  assert.equal(h.quantile(1), 1000);
});

test('values outside the range land in the edge bins; NaN is skipped', () => {
  const h = new Histogram(0, 10, 10);
  h.add(Float32Array.of(-5, 15, NaN, 5));
  assert.equal(h.counts[0], 1);
  assert.equal(h.counts[9], 1);
  assert.equal(h.counts[5], 1);
});

test('percentile range cuts a single far outlier, keeps the bulk', () => {
  const values = Float32Array.from({ length: 10000 }, (_, i) => i / 10000);
  const h = new Histogram(0, 1000);
  h.add(values);
  h.add(Float32Array.of(1000));
  const r = percentileRange(h, 99.98);
  assert.ok(r.max < 1.5, `max ${r.max} clips the outlier`);
  assert.ok(r.max > 0.4, `max ${r.max} keeps the bulk`);
  assert.ok(r.min >= 0 && r.min < 0.01, `min ${r.min}`);
});

function gaussian(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  });
}

test('entropy threshold on a Gaussian with rare outliers lies between 2 sigma and the outliers', () => {
  const x = gaussian(200_000, 7).map(Math.abs);
  const outliers = Float32Array.of(40, 45, 50);
  const h = new Histogram(0, 50);
  h.add(x);
  h.add(outliers);
  const t = entropyThreshold(h);
  assert.ok(t > 2 && t < 20, `threshold ${t}`);
});

test('entropy threshold on a uniform distribution keeps (nearly) all of it', () => {
  const h = new Histogram(0, 1);
  h.add(Float32Array.from({ length: 100_000 }, (_, i) => (i + 0.5) / 100_000));
  assert.ok(entropyThreshold(h) > 0.9);
});
