// The quantize command's work as a library call: the models named (files,
// folders with -r, globs, or a config file's inputs), this machine's shard
// of them, one job each with its own settings (built-in defaults < config
// defaults < matching config overrides < flags), run up to --jobs at once,
// each result handed over as it finishes, and a summary with the batch's
// exit code.
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { interruptExitCode, runJobs, type RunnerOptions } from './runner.js';
import { expandModels, type ModelEntry } from './model-list.js';
import { outputFor } from './output-path.js';
import { toJobSettings } from './job-settings.js';
import type { ModelJob } from './job.js';
import { DEFAULT_OUTPUT_NAME, layerOptions, type ModelOptions } from './model-options.js';
import { countResults, type BatchSummary } from './summary.js';
import { configOptionsFor, type QuantizeConfig } from './config.js';
import { listDigest, selectShard, type Shard } from './shard.js';
import { defaultJobs } from './default-jobs.js';

export interface BatchOptions {
  /** model files, folders (with recursive) and glob patterns; empty: the config file's inputs */
  inputs: readonly string[];
  /** settings given on the command line (they win over the config file) */
  flags: ModelOptions;
  config?: QuantizeConfig;
  recursive?: boolean;
  /** outputs go here, mirroring the folders the models were found in */
  outDir?: string;
  /** the one output file (one model only) */
  output?: string;
  force?: boolean;
  /** leave up-to-date outputs alone, redo stale ones */
  skipExisting?: boolean;
  /** the bench report file (one model only) */
  report?: string;
  /** jobs at once (default: from the CPUs and free memory) */
  jobs?: number;
  shard?: Shard;
  /** aborted with 'SIGINT' or 'SIGTERM' as its reason */
  signal?: AbortSignal;
}

export interface BatchHooks extends Omit<RunnerOptions, 'jobs' | 'signal'> {
  /** called once the jobs are planned, before any runs */
  onPlanned?(plan: BatchPlan): void;
}

export interface BatchPlan {
  jobs: ModelJob[];
  /** models in the whole list (before sharding) and the list's digest */
  listed: number;
  listSha256: string;
  /** jobs at once */
  concurrency: number;
}

/**
 * The jobs for the models named: each model's settings and output, checked
 * before anything runs (a usage error fails the whole command at once).
 */
export async function planBatch(opts: BatchOptions): Promise<BatchPlan> {
  const config = opts.config;
  const fromConfig = opts.inputs.length === 0;
  const inputs = fromConfig ? config?.inputs ?? [] : opts.inputs;
  if (inputs.length === 0) throw new UsageError(config ? `${config.file} names no inputs: name the models on the command line, or add "inputs"` : 'name the models to quantize');
  // A config file's inputs may be folders: they are walked like -r.
  const all = dropOwnOutputs(expandModels(inputs, { ...(opts.recursive || fromConfig ? { recursive: true } : {}) }), opts);
  const entries = opts.shard ? selectShard(all, opts.shard) : all;
  if (entries.length > 1 && opts.output) throw new UsageError('-o names one output file; with several models use --out-dir, or let each be written beside its input');
  if (entries.length > 1 && opts.report) throw new UsageError('--report names one file; with several models use --json-file for one report of all');
  const outDir = opts.outDir ?? config?.outDir;
  const jobs: ModelJob[] = [];
  for (const entry of entries) jobs.push(await planJob(entry, { ...opts, ...(outDir !== undefined ? { outDir } : {}) }));
  checkDistinctOutputs(jobs);
  const concurrency = opts.jobs ?? config?.jobs ?? defaultJobs(jobs.map((j) => j.entry.input));
  return { jobs, listed: all.length, listSha256: listDigest(all.map((e) => e.key)), concurrency };
}

async function planJob(entry: ModelEntry, opts: BatchOptions): Promise<ModelJob> {
  const fromFile = opts.config ? configOptionsFor(opts.config, entry.input) : {};
  const where = opts.config && Object.keys(fromFile).length ? `${opts.config.file} (for ${entry.key})` : undefined;
  const settings = await toJobSettings(layerOptions(fromFile, opts.flags), where);
  const output = opts.output ?? outputFor(entry, settings.name, opts.outDir);
  return {
    entry, output, settings,
    ...(opts.force ? { force: true } : {}),
    ...(opts.skipExisting ? { skipExisting: true } : {}),
    ...(opts.outDir !== undefined ? { createFolder: true } : {}),
    ...(opts.report ? { report: opts.report } : {}),
  };
}

/**
 * A folder walked again, or a glob over it, finds an earlier run's outputs
 * beside their inputs (m.int8.onnx beside m.onnx): those are not models to
 * quantize again (a file named on the command line always is).
 */
function dropOwnOutputs(entries: readonly ModelEntry[], opts: BatchOptions): ModelEntry[] {
  const pattern = opts.flags.name ?? opts.config?.defaults.name ?? DEFAULT_OUTPUT_NAME;
  const outputs = new Set(entries.map((e) => resolve(outputFor(e, pattern))));
  return entries.filter((e) => !e.found || !outputs.has(resolve(e.input)));
}

/** Two models written to one file would overwrite each other: refused before anything runs. */
function checkDistinctOutputs(jobs: readonly ModelJob[]): void {
  const seen = new Map<string, ModelJob>();
  for (const job of jobs) {
    const key = resolve(job.output);
    const other = seen.get(key);
    if (other) throw new UsageError(`${other.entry.input} and ${job.entry.input} would both be written to ${job.output}: use --out-dir or a --name pattern that tells them apart`);
    seen.set(key, job);
  }
}

export async function runBatch(opts: BatchOptions, hooks: BatchHooks = {}): Promise<BatchSummary> {
  const started = performance.now();
  const plan = await planBatch(opts);
  hooks.onPlanned?.(plan);
  const results = await runJobs(plan.jobs, { ...hooks, jobs: plan.concurrency, ...(opts.signal ? { signal: opts.signal } : {}) });
  const { counts, exitCode } = countResults(results, plan.jobs.length);
  const interrupted = opts.signal?.aborted ? (opts.signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT') : undefined;
  return {
    results, counts, durationMs: performance.now() - started,
    exitCode: interrupted ? interruptExitCode(interrupted) : exitCode,
    ...(interrupted ? { interrupted } : {}),
    planned: plan.jobs.map((j) => j.entry.key),
    listed: plan.listed, listSha256: plan.listSha256,
    ...(opts.shard ? { shard: opts.shard } : {}),
  };
}
