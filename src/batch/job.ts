// One model's job: a list of steps run in order on a shared state (check the
// output, write the quantized model, compare it with the original, apply the
// gates). A step that throws ends the job: its error becomes the model's
// result, and the other models of the batch go on.
//
// Steps are data: jobSteps() picks them from the settings, and a new stage
// (a search before writing, a fallback after it) is one more JobStep in that
// list. A step that measures time runs inside ctx.exclusive(), so no other
// job of the batch runs meanwhile.
import type { QuantizeFileOptions, QuantizeFileResult } from '../quant/quantize-file.js';
import type { BenchReport } from '../bench/bench.js';
import type { ProviderStatus } from '../bench/providers.js';
import { GateError, QuantizeError } from '../errors.js';
import type { JobSettings } from './job-settings.js';
import type { ModelEntry } from './model-list.js';
import type { Provenance } from './provenance.js';
import { skipUnchangedStep } from './steps/skip-unchanged.js';
import { checkOutputStep } from './steps/check-output.js';
import { writeModelStep } from './steps/write-model.js';
import { benchStep } from './steps/bench-output.js';
import { gateStep } from './steps/gates.js';

export interface ModelJob {
  entry: ModelEntry;
  output: string;
  settings: JobSettings;
  /** overwrite an existing output */
  force?: boolean;
  /** leave an up-to-date output alone (same source and settings recorded in it), redo a stale one */
  skipExisting?: boolean;
  /** create the output's folder when missing (under --out-dir) */
  createFolder?: boolean;
  /** also write the bench report to this file (one model only) */
  report?: string;
}

export type JobStatus = 'ok' | 'skipped' | 'failed' | 'gate-failed' | 'interrupted';

export interface JobResult {
  job: ModelJob;
  status: JobStatus;
  /** 0 ok or skipped, 1 failed, 2 usage, 3 gate missed, 130/143 interrupted */
  exitCode: number;
  /** what was thrown, for the failed and gate-failed */
  error?: unknown;
  /** why it was skipped */
  skipReason?: string;
  /** why an existing output was made again (--skip-existing found it stale) */
  redone?: string;
  written?: QuantizeFileResult;
  /** the digests recorded in the output */
  provenance?: Provenance;
  bench?: BenchReport;
  /** fallbacks and bench warnings, for stderr */
  warnings: string[];
  durationMs: number;
}

export type JobProgressStage = 'calibrating' | 'benchmarking';

/** What the runner lends the steps: where the work happens and how it is shared. */
export interface JobContext {
  /** Quantizes and writes (in this process, or in a worker process of the runner). */
  writeModel(input: string, output: string, options: QuantizeFileOptions): Promise<QuantizeFileResult>;
  /** Runs fn while no other job's step runs (benchmarks and latency measurements). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Which execution providers start here, probed once for the batch. */
  providerStatus?(): Promise<readonly ProviderStatus[] | undefined>;
  onProgress?(stage: JobProgressStage, done: number, total: number): void;
  onStageEnd?(stage: JobProgressStage): void;
}

/** The job's state as its steps fill it in. */
export interface JobState {
  job: ModelJob;
  result: JobResult;
  /** digests of the source and the settings, recorded in the output */
  provenance?: Provenance;
}

export interface JobStep {
  name: string;
  /** 'done' ends the job early (an up-to-date output needs nothing more). */
  run(state: JobState, ctx: JobContext): Promise<'continue' | 'done'>;
}

/** The steps for these settings, in order. */
export function jobSteps(settings: JobSettings): JobStep[] {
  return [skipUnchangedStep, checkOutputStep, writeModelStep, ...(settings.bench ? [benchStep] : []), gateStep];
}

export async function runModelJob(job: ModelJob, ctx: JobContext, steps: readonly JobStep[] = jobSteps(job.settings)): Promise<JobResult> {
  const started = performance.now();
  const state: JobState = { job, result: { job, status: 'ok', exitCode: 0, warnings: [], durationMs: 0 } };
  try {
    for (const step of steps) {
      if ((await step.run(state, ctx)) === 'done') break;
    }
  } catch (err) {
    state.result.error = err;
    state.result.exitCode = err instanceof QuantizeError ? err.exitCode : 1;
    state.result.status = err instanceof GateError ? 'gate-failed' : 'failed';
  }
  state.result.durationMs = performance.now() - started;
  return state.result;
}
