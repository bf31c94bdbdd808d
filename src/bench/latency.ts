// Latency of two models measured side by side. The runs are interleaved in
// turns, A's then B's in each round, so that whatever drifts on the machine
// while we measure (clock boost, thermal throttling, a noisy neighbour) hits
// both alike. The order within a round alternates (A B, then B A, ...).
//
// A turn is several runs of one model, and its first runs are not timed:
// switching models evicts the other's weights from the CPU caches, and a
// model whose weights fit in the cache needs several runs to get them back.
// Measured here (AMD EPYC, 32 MiB L3, a 13 MB MLP of 0.53 ms, one thread):
// alternating single runs reported 1.55 ms, 3× the steady state, and the
// 1st, 5th, 10th run after a switch took 1.50, 0.80, 0.56 ms. Alternating
// single runs would charge every model with a cold cache (and flatter a
// smaller quantized model); a bare loop of runs, what a server does, keeps it
// warm. bench/bench-overhead.ts measures the difference.
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
  /**
   * timed runs of a model per turn (default: about turnMs of runs, from the
   * warm-up's timing); 1 with settleRuns 0 alternates single runs
   */
  runsPerTurn?: number;
  /**
   * untimed runs at the start of each turn, for the caches to settle
   * (default: about 50 ms of runs, at most 16, none for runs of 200 ms or more;
   * measured, a model whose weights fit in the cache needed about 10 runs)
   */
  settleRuns?: number;
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
  /** how the runs were interleaved: timed runs per turn (the last turn may have fewer) and untimed runs before them */
  turns: { runsPerTurn: number; settleRuns: number };
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
 * runs of each, then rounds of one turn per model (see the top of this
 * file) until both have `minRuns` timed runs and the timed runs add up to
 * `minTimeMs` (or a max is hit). Each run is timed with performance.now()
 * around `await run(feeds)`. Both models get the same number of timed runs;
 * the i-th timed runs of A and B are paired (same round, same place in the
 * turn) for the bootstrap.
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

  // The turn plan, from the slower model's time: the fastest of a few runs in
  // a row of each (the first of them pays for the switch, a pause or a JIT).
  // Two runs at least; up to five while they cost under 50 ms, because on a
  // busy machine two runs in a row can both be preempted, and an estimate ten
  // times too long plans turns of one run with nothing settled.
  let estimate = 0;
  if (options.runsPerTurn === undefined || options.settleRuns === undefined) {
    for (const s of [a, b]) {
      let best = Infinity;
      let spent = 0;
      for (let i = 0; i < 5 && (i < 2 || spent < 50); i++) {
        const t0 = performance.now();
        await s.run(feeds);
        const dt = performance.now() - t0;
        spent += dt;
        best = Math.min(best, dt);
      }
      estimate = Math.max(estimate, best);
    }
  }
  const turnMs = Math.min(100, Math.max(5, minTimeMs / 4));
  const runsPerTurn = Math.max(1, Math.floor(options.runsPerTurn ?? (estimate > 0 ? Math.round(turnMs / estimate) : 1)));
  const settleRuns = Math.max(0, Math.floor(options.settleRuns ??
    (estimate >= 200 ? 0 : Math.min(16, Math.max(1, Math.ceil(50 / Math.max(estimate, 1e-3)))))));

  const timesA: number[] = [];
  const timesB: number[] = [];
  let timed = 0;
  // A planned turn length is only a plan: on a busy machine runs take longer
  // than the estimate, so an automatic turn also ends after turnMs of timed
  // runs (otherwise one turn could take all of minTimeMs: no interleaving).
  const turnLimitMs = options.runsPerTurn === undefined ? turnMs : Infinity;
  /**
   * One turn of `s`: settle runs, then up to `count` timed runs; the first
   * turn of a round (mayStopEarly) also ends at turnLimitMs or maxTimeMs.
   */
  const turn = async (s: Runnable, into: number[], count: number, mayStopEarly: boolean): Promise<number> => {
    for (let i = 0; i < settleRuns; i++) await s.run(feeds);
    let done = 0;
    let inTurn = 0;
    while (done < count) {
      const t0 = performance.now();
      await s.run(feeds);
      const dt = performance.now() - t0;
      into.push(dt);
      timed += dt;
      inTurn += dt;
      done++;
      if (mayStopEarly && (timed >= maxTimeMs || inTurn >= turnLimitMs)) break;
    }
    return done;
  };
  for (let round = 0; ; round++) {
    const n = timesA.length;
    // once the time is reached, only the runs still missing to minRuns
    const wanted = timed >= minTimeMs ? Math.max(1, minRuns - n) : runsPerTurn;
    const count = Math.min(runsPerTurn, wanted, maxRuns - n);
    // the first model of the round may stop early on maxTimeMs; the second matches its count
    if (round % 2 === 0) await turn(b, timesB, await turn(a, timesA, count, true), false);
    else await turn(a, timesA, await turn(b, timesB, count, true), false);
    const runs = timesA.length;
    if (runs >= maxRuns || timed >= maxTimeMs) break;
    if (runs >= minRuns && timed >= minTimeMs) break;
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
    turns: { runsPerTurn, settleRuns },
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
