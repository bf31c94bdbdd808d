// Latency of two models measured side by side. The runs are interleaved, one
// of each per round, so that whatever drifts on the machine while we measure
// (clock boost, thermal throttling, a noisy neighbour) hits both alike. The
// order within a round alternates (A B, then B A, ...) so that neither model
// always runs right after the other with its caches warm.
import { mulberry32 } from '../prng.js';
import type ort from 'onnxruntime-node';

/** Anything that runs feeds: an ort.InferenceSession, or a stand-in in tests. */
export interface Runnable {
  run(feeds: Record<string, ort.Tensor>): Promise<unknown>;
}

export interface LatencyOptions {
  /** untimed runs of each model first (default 5) */
  warmupRuns?: number;
  /** timed runs of each model, at least (default 20) */
  minRuns?: number;
  /** time spent in timed runs, at least, in ms, counting both models (default 1000) */
  minTimeMs?: number;
  /** stop after this many timed runs of each model even if minTimeMs is not reached (default 100000) */
  maxRuns?: number;
  /**
   * stop once the timed runs have taken this long (ms), even below minRuns,
   * for models too slow for minRuns (default: no limit); at least one run each
   */
  maxTimeMs?: number;
  /** inferences per run, for throughput (default: first dimension of the first feed, else 1) */
  batch?: number;
  /**
   * bootstrap resamples for the speed-up interval (default 1000, lowered for
   * very many runs so that the interval costs at most about 2·10⁷ draws, never below 200)
   */
  bootstrapResamples?: number;
  /** seed of the bootstrap's random numbers, so that reports are reproducible (default 1) */
  seed?: number;
}

/** One model's timings, in milliseconds. */
export interface LatencyStats {
  runs: number;
  mean: number;
  min: number;
  max: number;
  median: number;
  p25: number;
  p75: number;
  p90: number;
  p99: number;
  /** inferences per second: batch / median */
  throughput: number;
}

export interface SpeedupInterval {
  /** lower bound of the interval */
  low: number;
  /** upper bound of the interval */
  high: number;
  /** coverage of the interval, e.g. 0.95 */
  confidence: number;
  /** how it was computed */
  method: 'paired-bootstrap';
}

export interface LatencyComparison {
  a: LatencyStats;
  b: LatencyStats;
  /**
   * median(A) / median(B): above 1 means B is faster. With interval, a 95 %
   * percentile bootstrap interval of this ratio: rounds (one run of A, one of
   * B, adjacent in time) are resampled with replacement, so drift that hit
   * both runs of a round stays paired.
   */
  speedup: number;
  interval: SpeedupInterval;
  batch: number;
  /** total time spent measuring, warm-up included (ms) */
  wallMs: number;
}

/** The defaults, for reports that say how latency was measured. */
export const LATENCY_DEFAULTS = {
  warmupRuns: 5,
  minRuns: 20,
  minTimeMs: 1000,
  maxRuns: 100_000,
  bootstrapResamples: 1000,
  seed: 1,
} as const;

/**
 * Times `a` and `b` on the same feeds, interleaved: `warmupRuns` untimed
 * rounds, then timed rounds until both `minRuns` rounds and `minTimeMs` of
 * timed runs are reached (or a max is hit). Each run is timed with
 * performance.now() around `await run(feeds)`.
 */
export async function measureLatency(
  a: Runnable,
  b: Runnable,
  feeds: Record<string, ort.Tensor>,
  options: LatencyOptions = {},
): Promise<LatencyComparison> {
  const warmupRuns = options.warmupRuns ?? LATENCY_DEFAULTS.warmupRuns;
  const minRuns = Math.max(1, options.minRuns ?? LATENCY_DEFAULTS.minRuns);
  const minTimeMs = options.minTimeMs ?? LATENCY_DEFAULTS.minTimeMs;
  const maxRuns = Math.max(1, options.maxRuns ?? LATENCY_DEFAULTS.maxRuns);
  const maxTimeMs = options.maxTimeMs ?? Infinity;
  const batch = options.batch ?? batchOf(feeds);
  const start = performance.now();

  for (let i = 0; i < warmupRuns; i++) {
    await a.run(feeds);
    await b.run(feeds);
  }

  const timesA: number[] = [];
  const timesB: number[] = [];
  let timed = 0;
  const timeOne = async (s: Runnable, into: number[]): Promise<void> => {
    const t0 = performance.now();
    await s.run(feeds);
    const dt = performance.now() - t0;
    into.push(dt);
    timed += dt;
  };
  for (let round = 0; ; round++) {
    if (round % 2 === 0) {
      await timeOne(a, timesA);
      await timeOne(b, timesB);
    } else {
      await timeOne(b, timesB);
      await timeOne(a, timesA);
    }
    const n = round + 1;
    if (n >= maxRuns || timed >= maxTimeMs) break;
    if (n >= minRuns && timed >= minTimeMs) break;
  }

  const fa = Float64Array.from(timesA);
  const fb = Float64Array.from(timesB);
  const statsA = latencyStats(fa, batch);
  const statsB = latencyStats(fb, batch);
  const resamples = options.bootstrapResamples
    ?? Math.min(LATENCY_DEFAULTS.bootstrapResamples, Math.max(200, Math.floor(2e7 / fa.length)));
  const interval = bootstrapSpeedup(fa, fb, resamples, options.seed ?? LATENCY_DEFAULTS.seed);
  return {
    a: statsA,
    b: statsB,
    speedup: statsA.median / statsB.median,
    interval,
    batch,
    wallMs: performance.now() - start,
  };
}

function batchOf(feeds: Record<string, ort.Tensor>): number {
  const first = Object.values(feeds)[0];
  const d = first?.dims[0];
  return typeof d === 'number' && d >= 1 && first!.dims.length >= 2 ? d : 1;
}

/** Statistics of one set of run times (ms). */
export function latencyStats(times: Float64Array | readonly number[], batch = 1): LatencyStats {
  const sorted = Float64Array.from(times).sort();
  const n = sorted.length;
  if (n === 0) throw new RangeError('latencyStats: no runs');
  let sum = 0;
  for (const t of sorted) sum += t;
  const median = quantileSorted(sorted, 0.5);
  return {
    runs: n,
    mean: sum / n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    median,
    p25: quantileSorted(sorted, 0.25),
    p75: quantileSorted(sorted, 0.75),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    throughput: median > 0 ? (batch * 1000) / median : Infinity,
  };
}

/** The q-quantile of sorted values, interpolating linearly between ranks (numpy's default). */
export function quantileSorted(sorted: Float64Array | readonly number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * 95 % percentile-bootstrap interval of median(A)/median(B), resampling
 * rounds (index i picks both A[i] and B[i]). Deterministic for a seed.
 */
export function bootstrapSpeedup(a: Float64Array, b: Float64Array, resamples: number, seed = 1): SpeedupInterval {
  const n = Math.min(a.length, b.length);
  const confidence = 0.95;
  if (n === 0) return { low: NaN, high: NaN, confidence, method: 'paired-bootstrap' };
  const rand = mulberry32(seed);
  const ra = new Float64Array(n);
  const rb = new Float64Array(n);
  const ratios = new Float64Array(Math.max(1, resamples));
  for (let k = 0; k < ratios.length; k++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rand() * n);
      ra[i] = a[j]!;
      rb[i] = b[j]!;
    }
    ratios[k] = medianInPlace(ra) / medianInPlace(rb);
  }
  ratios.sort();
  return {
    low: quantileSorted(ratios, (1 - confidence) / 2),
    high: quantileSorted(ratios, 1 - (1 - confidence) / 2),
    confidence,
    method: 'paired-bootstrap',
  };
}

/** The median of the values (by quickselect on a copy; the input is left as it is). */
export function medianOf(values: Float64Array | readonly number[]): number {
  if (values.length === 0) return NaN;
  return medianInPlace(Float64Array.from(values));
}

/** Median by quickselect (reorders `v`); the mean of the two middle values for even lengths. */
function medianInPlace(v: Float64Array): number {
  const n = v.length;
  const hi = select(v, n >> 1);
  if (n % 2 === 1) return hi;
  // After select, everything left of n/2 is ≤ v[n/2]: the lower middle is their max.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (v[i]! > lo) lo = v[i]!;
  return (lo + hi) / 2;
}

/** Hoare's quickselect: places the k-th smallest at v[k], smaller ones left of it. */
function select(v: Float64Array, k: number): number {
  let left = 0;
  let right = v.length - 1;
  while (left < right) {
    const pivot = v[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (v[i]! < pivot) i++;
      while (v[j]! > pivot) j--;
      if (i <= j) {
        const t = v[i]!;
        v[i] = v[j]!;
        v[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return v[k]!;
}
