// A fixed-range histogram folded sample by sample (2048 bins by default, as
// ORT's and TensorRT's calibrators use), and the two ways of reading a
// clipping range off it: a percentile, and the entropy (KL divergence)
// search. Memory per tensor is the bins, whatever the number of samples.
import type { Range } from './calibrate.js';

export class Histogram {
  readonly counts: Float64Array;
  readonly width: number;
  total = 0;

  constructor(readonly min: number, readonly max: number, readonly bins = 2048) {
    this.counts = new Float64Array(bins);
    this.width = max > min ? (max - min) / bins : 1;
  }

  add(values: Float32Array): void {
    const { counts, min, width, bins } = this;
    const last = bins - 1;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) continue; // NaN
      let b = Math.floor((v - min) / width);
      if (b < 0) b = 0;
      else if (b > last) b = last;
      counts[b]!++;
    }
    this.total += values.length;
  }

  /** The value below which `fraction` of the counts lie (bin edges interpolated linearly). */
  quantile(fraction: number): number {
    const target = fraction * this.total;
    let seen = 0;
    for (let b = 0; b < this.bins; b++) {
      const c = this.counts[b]!;
      if (seen + c >= target && c > 0) return this.min + (b + (target - seen) / c) * this.width;
      seen += c;
    }
    return this.max;
  }
}

/**
 * Two-sided percentile: the central `percentile` % of the values, clipped
 * to the observed range. (ORT's percentile method takes |x|; activations
 * here are asymmetric uint8, so each side is cut on its own.)
 */
export function percentileRange(h: Histogram, percentile: number): Range {
  const tail = (100 - percentile) / 200;
  return { min: Math.max(h.min, h.quantile(tail)), max: Math.min(h.max, h.quantile(1 - tail)) };
}

/**
 * Entropy calibration, the TensorRT procedure: over the histogram of |x|,
 * for every candidate threshold from `levels` bins up, P is the kept bins
 * with the outliers folded into the last one; Q merges the kept bins (without
 * the outliers) into `levels` groups and spreads each group's mass evenly
 * over the bins where P is non-zero. Both are smoothed (empty bins get a
 * little mass taken from the others) and the threshold with the smallest
 * KL(P || Q) wins. Returns the threshold (a magnitude).
 */
export function entropyThreshold(absHist: Histogram, levels = 128): number {
  // The zero bin is set to its neighbour's count (as NVIDIA's calibrator
  // does): after a Relu it holds half of all values, and left as it is it
  // drags the search to thresholds that clip most of the signal.
  const counts = absHist.counts.slice();
  if (counts.length > 1) counts[0] = counts[1]!;
  const bins = counts.length;
  let best = bins;
  let bestKl = Infinity;
  let outliers = 0;
  for (let b = levels; b < bins; b++) outliers += counts[b]!;
  for (let i = levels; i <= bins; i++) {
    if (i > levels) outliers -= counts[i - 1]!;
    const p = counts.slice(0, i);
    p[i - 1]! += outliers;
    const q = new Float64Array(i);
    const merged = Math.floor(i / levels);
    for (let l = 0; l < levels; l++) {
      const start = l * merged;
      const end = l === levels - 1 ? i : start + merged;
      let mass = 0;
      let nonZero = 0;
      for (let b = start; b < end; b++) {
        mass += counts[b]!;
        if (p[b]! > 0) nonZero++;
      }
      if (nonZero > 0) for (let b = start; b < end; b++) if (p[b]! > 0) q[b] = mass / nonZero;
    }
    const kl = klDivergence(smooth(p), smooth(q));
    if (kl < bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return absHist.min + best * absHist.width;
}

/** Normalises, moving a small mass (1e-4 per bin) onto empty bins so that KL stays finite. */
function smooth(d: Float64Array, eps = 1e-4): Float64Array {
  let total = 0;
  let zeros = 0;
  for (const v of d) {
    total += v;
    if (v === 0) zeros++;
  }
  const out = new Float64Array(d.length);
  if (total === 0) return out;
  const nonZeros = d.length - zeros;
  const take = nonZeros > 0 ? (eps * zeros) / nonZeros : 0;
  for (let b = 0; b < d.length; b++) out[b] = d[b] === 0 ? eps : d[b]! / total - take;
  return out;
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let kl = 0;
  for (let b = 0; b < p.length; b++) {
    const pb = p[b]!;
    if (pb <= 0) continue;
    const qb = q[b]!;
    kl += qb <= 0 ? Infinity : pb * Math.log(pb / qb);
  }
  return kl;
}

/** The clipping range entropy calibration gives for a tensor with observed range [min, max]. */
export function entropyRange(absHist: Histogram, observed: Range): Range {
  const t = entropyThreshold(absHist);
  return { min: Math.max(observed.min, -t), max: Math.min(observed.max, t) };
}
