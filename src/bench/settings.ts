// The benchmark's settings from typed values (what the bench and quantize
// commands parse from flags, and what a quantize config file holds): one
// place that turns them into benchModels' options, with the defaults.
import type { BenchOptions } from './bench.js';
import { loadMetric } from './metric-hook.js';

/** Everything benchModels takes but the models and the samples. */
export type BenchSettings = Omit<BenchOptions, 'original' | 'quantized' | 'dataset' | 'dataSource' | 'labels' | 'labelsFile' | 'onProgress'>;

/** The benchmark's knobs as plain values (already checked: integers are integers, sizes positive). */
export interface BenchValues {
  providers?: string[];
  threads?: number;
  batch?: number;
  batchSizes?: number[];
  pricePerHour?: number;
  /** a module path; loaded here */
  metric?: string;
  warmup?: number;
  runs?: number;
  minTime?: number;
  memory?: boolean;
  memoryRuns?: number;
  maxAccuracyDrop?: number;
  minSpeedup?: number;
}

export const BENCH_DEFAULTS = { warmup: 5, runs: 20, minTime: 1000, memoryRuns: 10 } as const;

export async function buildBenchSettings(v: BenchValues): Promise<BenchSettings> {
  const metric = v.metric ? await loadMetric(v.metric) : undefined;
  return {
    ...(v.providers ? { providers: v.providers } : {}),
    ...(v.threads !== undefined ? { threads: v.threads } : {}),
    ...(v.batch !== undefined ? { batch: v.batch } : {}),
    ...(v.batchSizes ? { batchSizes: [...new Set(v.batchSizes)] } : {}),
    ...(v.pricePerHour !== undefined ? { pricePerHour: v.pricePerHour } : {}),
    latency: { warmupRuns: v.warmup ?? BENCH_DEFAULTS.warmup, minRuns: v.runs ?? BENCH_DEFAULTS.runs, minTimeMs: v.minTime ?? BENCH_DEFAULTS.minTime },
    ...(metric ? { metric } : {}),
    memory: v.memory === false ? false : { runs: v.memoryRuns ?? BENCH_DEFAULTS.memoryRuns },
    gates: {
      ...(v.maxAccuracyDrop !== undefined ? { maxAccuracyDrop: v.maxAccuracyDrop } : {}),
      ...(v.minSpeedup !== undefined ? { minSpeedup: v.minSpeedup } : {}),
    },
  };
}
