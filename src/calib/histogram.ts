// A fixed-range histogram folded sample by sample (2048 bins by default, as
// ORT's and TensorRT's calibrators use), and the two ways of reading a
// clipping range off it: a percentile, and the entropy (KL divergence)
// search. Memory per tensor is the bins, whatever the number of samples.
import type { Range } from './calibrate.js';

export class Histogram {
  readonly counts: Float64Array;
  readonly width: number;
  total = 0;
  /** values exactly 0 (in the counts too): uint8 ranges always hold 0 exactly, so these carry no rounding error */
  zeros = 0;

  constructor(readonly min: number, readonly max: number, readonly bins = 2048) {
    this.counts = new Float64Array(bins);
    this.width = max > min ? (max - min) / bins : 1;
  }

  /** Adds the values, each counting `weight` (default 1). */
  add(values: Float32Array, weight = 1): void {
    const { counts, min, width, bins } = this;
    const last = bins - 1;
    let zeros = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) continue; // NaN
      if (v === 0) zeros++;
      let b = Math.floor((v - min) / width);
      if (b < 0) b = 0;
      else if (b > last) b = last;
      counts[b]! += weight;
    }
    this.zeros += zeros * weight;
    this.total += values.length * weight;
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

/**
 * The clipping range with the smallest expected squared quantization error
 * of asymmetric uint8 (256 levels) over the histogram (weighted as it was
 * filled: calibrateRanges weights each sample by 1 / its signal power, so the
 * sum is the samples' noise-to-signal ratios): values inside
 * [lo, hi] cost the rounding noise step²/12 (exact zeros cost nothing: 0 is
 * always representable), values outside cost their distance to the edge,
 * squared. Values are taken at their bin's centre. The range always holds 0
 * (as the scale computation makes it). A coarse grid over both edges (with
 * prefix sums, O(1) per candidate) is refined bin by bin around the best.
 */
export function mseRange(h: Histogram, levels = 256): Range {
  const n = h.bins;
  const c = new Float64Array(n + 1);
  const cx = new Float64Array(n + 1);
  const cx2 = new Float64Array(n + 1);
  for (let b = 0; b < n; b++) {
    const x = h.min + (b + 0.5) * h.width;
    const k = h.counts[b]!;
    c[b + 1] = c[b]! + k;
    cx[b + 1] = cx[b]! + k * x;
    cx2[b + 1] = cx2[b]! + k * x * x;
  }
  const lo0 = Math.min(h.min, 0);
  const hi0 = Math.max(h.max, 0);
  if (!(hi0 > lo0) || h.total === 0) return { min: h.min, max: h.max };
  // Edge candidates are bin edges: lo at edge i (0..zeroBin), hi at edge j (zeroEdge..n).
  const edge = (i: number): number => h.min + i * h.width;
  const zeroEdge = Math.min(n, Math.max(0, Math.floor((0 - h.min) / h.width)));
  const nonZeroCount = h.total - h.zeros;
  const cost = (i: number, j: number): number => {
    const lo = Math.min(edge(i), 0);
    const hi = Math.max(edge(j), 0);
    const step = (hi - lo) / (levels - 1);
    // Below lo: bins [0, i); above hi: bins [j, n).
    const below = cx2[i]! - 2 * lo * cx[i]! + lo * lo * c[i]!;
    const aboveC = c[n]! - c[j]!;
    const above = (cx2[n]! - cx2[j]!) - 2 * hi * (cx[n]! - cx[j]!) + hi * hi * aboveC;
    const inside = Math.max(0, nonZeroCount - c[i]! - aboveC);
    return below + above + inside * step * step / 12;
  };
  const loMax = h.min < 0 ? zeroEdge : 0;
  const hiMin = h.max > 0 ? Math.min(n, zeroEdge + 1) : n;
  const search = (iFrom: number, iTo: number, jFrom: number, jTo: number, stride: number, best: { i: number; j: number; e: number }) => {
    for (let i = iFrom; i <= iTo; i += stride) {
      for (let j = jFrom; j <= jTo; j += stride) {
        const e = cost(i, j);
        if (e < best.e) Object.assign(best, { i, j, e });
      }
    }
  };
  const best = { i: 0, j: n, e: cost(0, n) };
  const stride = Math.max(1, Math.floor(n / 256));
  search(0, loMax, Math.max(hiMin, 0), n, stride, best);
  search(Math.max(0, best.i - stride), Math.min(loMax, best.i + stride), Math.max(hiMin, best.j - stride), Math.min(n, best.j + stride), 1, best);
  return { min: best.i === 0 ? h.min : Math.max(h.min, edge(best.i)), max: best.j === n ? h.max : Math.min(h.max, edge(best.j)) };
}
