// The quantize command's work as a library call: the models named (files,
// folders with -r, globs), one job each with its own settings, run up to
// --jobs at once, each result handed over as it finishes, and a summary
// with the batch's exit code.
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { runJobs, type RunnerOptions } from './runner.js';
import { expandModels, type ModelEntry } from './model-list.js';
import { outputFor } from './output-path.js';
import { toJobSettings } from './job-settings.js';
import type { JobResult, ModelJob } from './job.js';
import type { ModelOptions } from './model-options.js';
import { summarize, type BatchSummary } from './summary.js';

export interface BatchOptions {
  /** model files, folders (with recursive) and glob patterns */
  inputs: readonly string[];
  /** settings given on the command line */
  flags: ModelOptions;
  recursive?: boolean;
  /** outputs go here, mirroring the folders the models were found in */
  outDir?: string;
  /** the one output file (one model only) */
  output?: string;
  force?: boolean;
  /** the bench report file (one model only) */
  report?: string;
  /** jobs at once (default 1) */
  jobs?: number;
}

export interface BatchHooks extends Omit<RunnerOptions, 'jobs'> {
  /** called once the jobs are planned, before any runs */
  onPlanned?(jobs: readonly ModelJob[]): void;
}

/** The jobs for the models named: each model's settings and output, checked before anything runs. */
export async function planBatch(opts: BatchOptions): Promise<ModelJob[]> {
  const entries = expandModels(opts.inputs, { ...(opts.recursive ? { recursive: true } : {}) });
  if (entries.length === 0) throw new UsageError('no models to quantize');
  if (entries.length > 1 && opts.output) throw new UsageError(`-o names one output file; with several models use --out-dir, or let each be written beside its input`);
  if (entries.length > 1 && opts.report) throw new UsageError('--report names one file; with several models use --json-file for one report of all');
  const jobs: ModelJob[] = [];
  for (const entry of entries) jobs.push(await planJob(entry, opts));
  checkDistinctOutputs(jobs);
  return jobs;
}

async function planJob(entry: ModelEntry, opts: BatchOptions): Promise<ModelJob> {
  const settings = await toJobSettings(opts.flags);
  const output = opts.output ?? outputFor(entry, settings.name, opts.outDir);
  return {
    entry, output, settings,
    ...(opts.force ? { force: true } : {}),
    ...(opts.outDir !== undefined ? { createFolder: true } : {}),
    ...(opts.report ? { report: opts.report } : {}),
  };
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
  const jobs = await planBatch(opts);
  hooks.onPlanned?.(jobs);
  const results: JobResult[] = await runJobs(jobs, { ...hooks, jobs: opts.jobs ?? 1 });
  return summarize(results, performance.now() - started);
}
