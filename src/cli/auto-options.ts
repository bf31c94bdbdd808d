// The --auto options of `quantize` (the per-layer search to an accuracy
// budget): parsing and checking them, and running the search before the model
// is written. quantize.ts calls addAutoOptions, autoSettings and runAuto.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import chalk from 'chalk';
import { GateError, UsageError } from '../errors.js';
import { searchQuantization, type SearchResult } from '../auto/search.js';
import { loadMetric } from '../bench/metric-hook.js';
import { parseProviderList } from '../bench/providers.js';
import type { CalibrationMethod, Range } from '../calib/calibrate.js';
import { formatSearch, formatStep } from '../report/search-text.js';

export interface AutoCliOptions {
  auto?: boolean;
  autoMetric?: string;
  keepBest?: boolean;
  autoSamples?: string;
  maxAccuracyDrop?: string;
  metric?: string;
  calibrate?: string;
  eval?: string;
  labels?: string;
  method: string;
  percentile?: string;
  providers?: string;
  threads?: string;
  reduceRange: boolean;
  perTensor?: boolean;
  exclude: string[];
  json?: boolean;
}

export function addAutoOptions(command: Command): Command {
  return command
    .option('--auto', 'choose per layer (float, weight-only, integer kernels with 7- or 8-bit weights) to meet --max-accuracy-drop at the lowest measured latency')
    .option('--auto-metric <key>', 'with --auto: the budget is on this value of the --metric hook (its drop, in its own units) instead of the built-in accuracy figure')
    .option('--auto-samples <n>', 'with --auto: evaluation samples each candidate runs (default: all)')
    .option('--keep-best', 'with --auto: when no choice meets the budget, write the best trade-off found anyway (still exit 3)');
}

export interface AutoSettings {
  budget: number;
  calibrate: string;
  evalSamples?: number;
  custom?: { metric: Awaited<ReturnType<typeof loadMetric>>; key: string };
  labels?: Map<string, number | readonly number[]>;
  provider: string;
}

/** The --auto settings, checked (UsageError, exit 2); undefined without --auto. */
export async function autoSettings(opts: AutoCliOptions): Promise<AutoSettings | undefined> {
  if (!opts.auto) {
    for (const [flag, set] of [['--auto-metric', opts.autoMetric], ['--keep-best', opts.keepBest], ['--auto-samples', opts.autoSamples]] as const) {
      if (set !== undefined) throw new UsageError(`${flag} needs --auto`);
    }
    return undefined;
  }
  if (!opts.calibrate && !opts.eval) throw new UsageError('--auto needs samples: --calibrate (calibration, and evaluation unless --eval is given) or both');
  if (!opts.calibrate) throw new UsageError('--auto needs --calibrate samples: the integer kernels\' activation ranges come from them (--eval alone cannot calibrate)');
  const text = opts.maxAccuracyDrop ?? '1';
  const budget = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(budget) && budget >= 0)) throw new UsageError(`--max-accuracy-drop must be a number >= 0 (got '${text}')`);
  let evalSamples: number | undefined;
  if (opts.autoSamples !== undefined) {
    evalSamples = Number(opts.autoSamples);
    if (!(Number.isInteger(evalSamples) && evalSamples >= 1)) throw new UsageError(`--auto-samples must be an integer >= 1 (got '${opts.autoSamples}')`);
  }
  let custom: AutoSettings['custom'];
  if (opts.autoMetric !== undefined) {
    if (!opts.metric) throw new UsageError('--auto-metric names a value of the --metric hook: give --metric ./hook.js too');
    custom = { metric: await loadMetric(opts.metric), key: opts.autoMetric };
  }
  const providers = opts.providers ? parseProviderList(opts.providers) : ['cpu'];
  const evalPath = opts.eval ?? opts.calibrate;
  const labelsFile = opts.labels ?? (existsSync(join(evalPath, 'labels.json')) ? join(evalPath, 'labels.json') : undefined);
  return {
    budget, calibrate: opts.calibrate, ...(evalSamples ? { evalSamples } : {}), ...(custom ? { custom } : {}),
    ...(labelsFile ? { labels: readLabelsFile(labelsFile) } : {}), provider: providers[0]!,
  };
}

function readLabelsFile(file: string): Map<string, number | readonly number[]> {
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, number | number[]>));
  } catch (err) {
    throw new UsageError(`${file}: cannot read labels (${(err as Error).message})`);
  }
}

/**
 * Runs the search and prints it (text mode). Returns what the writer needs:
 * the node lists and the ranges calibrated on the way. A budget no choice
 * meets throws GateError (exit 3) unless --keep-best, after printing the best
 * trade-off found.
 */
export async function runAuto(model: string, opts: AutoCliOptions, s: AutoSettings): Promise<{ search: SearchResult; ranges: Map<string, Range> }> {
  if (!opts.eval) process.stderr.write(`${chalk.yellow.bold('warning:')} --auto without --eval: the calibration samples judge the candidates too, so the result may flatter itself\n`);
  const ranges = new Map<string, Range>();
  const threads = opts.threads === undefined ? undefined : Number(opts.threads);
  const search = await searchQuantization(model, {
    calibrate: s.calibrate, ...(opts.eval ? { eval: opts.eval } : {}), method: opts.method as CalibrationMethod,
    ...(opts.percentile ? { percentile: Number(opts.percentile) } : {}), reduceRange: opts.reduceRange, perTensor: opts.perTensor, exclude: opts.exclude,
    ...(threads ? { threads } : {}), provider: s.provider, ranges, maxAccuracyDrop: s.budget, ...(s.labels ? { labels: s.labels } : {}),
    ...(s.custom ? { custom: s.custom } : {}), ...(s.evalSamples ? { evalLimit: s.evalSamples } : {}),
    onStep: (step, i) => (process.stderr.isTTY ? process.stderr.write(`${formatStep(step, i, s.budget)}\n`) : undefined),
  });
  if (!opts.json) process.stdout.write(`${formatSearch(search)}\n\n`);
  if (!search.met && !opts.keepBest) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ input: model, search }, null, 2)}\n`);
    throw new GateError(`${search.outcome}; nothing written (--keep-best writes it anyway)`);
  }
  return { search, ranges };
}
