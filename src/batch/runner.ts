// Runs the jobs of a batch, up to `jobs` at once: quantizations side by side
// (each in a worker process when more than one runs, so they use several
// cores and one crashing cannot take the others down), benchmarks alone.
// Results are handed over as each model finishes, and returned in the
// batch's order.
//
// Interruption (the signal aborted): no new job starts, workers are killed
// and their .work- folders removed, the registered temporary files and
// helper processes too (cleanUpNow), and the runner returns at once with the
// jobs that were running marked 'interrupted'. Jobs never started are left
// out of the results.
import { availableParallelism } from 'node:os';
import { discoverProviders, type ProviderStatus } from '../bench/providers.js';
import { quantizeFile } from '../quant/quantize-file.js';
import { cleanUpNow } from '../cleanup.js';
import { ExclusiveGate } from './exclusive-gate.js';
import { jobSteps, runModelJob, type JobContext, type JobProgressStage, type JobResult, type JobStep, type ModelJob } from './job.js';
import { WorkerPool } from './worker-pool.js';

export interface RunnerOptions {
  /** jobs at once (>= 1) */
  jobs: number;
  /** called as each model finishes, in the order they finish */
  onResult?(result: JobResult): void;
  /** progress of the running job's stages (only meaningful with one job at a time) */
  onProgress?(job: ModelJob, stage: JobProgressStage, done: number, total: number): void;
  onStageEnd?(job: ModelJob, stage: JobProgressStage): void;
  /** aborted with the signal's name ('SIGINT', 'SIGTERM') as its reason */
  signal?: AbortSignal;
  /** the steps of a job (default: jobSteps of its settings) */
  steps?(job: ModelJob): JobStep[];
}

/** The exit code of an interruption by this signal (128 + its number). */
export function interruptExitCode(reason: unknown): number {
  return reason === 'SIGTERM' ? 143 : 130;
}

export async function runJobs(jobs: readonly ModelJob[], opts: RunnerOptions): Promise<JobResult[]> {
  const lanes = Math.max(1, Math.min(opts.jobs, jobs.length));
  const gate = new ExclusiveGate();
  // One job at a time runs in this process (no worker to start); several run in workers.
  // Each worker's ONNX Runtime gets its share of the CPUs: N workers with a thread per core each would fight over them.
  const pool = lanes > 1 ? new WorkerPool(lanes, Math.max(1, Math.floor(availableParallelism() / lanes))) : undefined;
  const results: Array<JobResult | undefined> = new Array(jobs.length);
  const running = new Map<number, { job: ModelJob; started: number }>();
  const signal = opts.signal;
  let probe: Promise<readonly ProviderStatus[]> | undefined;
  // Probed once for the batch, in its own child process, when the first benchmark asks.
  const providerStatus = async (): Promise<readonly ProviderStatus[]> => (probe ??= discoverProviders());
  const contextFor = (job: ModelJob): JobContext => ({
    writeModel: (input, output, options) => (pool ? pool.quantize(input, output, options) : quantizeFile(input, output, options)),
    exclusive: (fn) => gate.exclusiveFromShared(fn),
    ...(jobs.length > 1 ? { providerStatus } : {}),
    ...(opts.onProgress ? { onProgress: (stage, done, total) => opts.onProgress!(job, stage, done, total) } : {}),
    ...(opts.onStageEnd ? { onStageEnd: (stage) => opts.onStageEnd!(job, stage) } : {}),
  });

  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length && !signal?.aborted) {
      const index = next++;
      const job = jobs[index]!;
      running.set(index, { job, started: performance.now() });
      const result = await gate.shared(() => runModelJob(job, contextFor(job), opts.steps ? opts.steps(job) : jobSteps(job.settings)));
      // After an interruption a job's end is not its own (its worker was killed, its folder removed): it stays 'interrupted'.
      if (signal?.aborted) return;
      running.delete(index);
      results[index] = result;
      opts.onResult?.(result);
    }
  };
  const all = Promise.all(Array.from({ length: lanes }, lane));
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal?.aborted) resolve('aborted');
    signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  if ((await Promise.race([all.then(() => 'done' as const), aborted])) === 'aborted') {
    await pool?.kill();
    cleanUpNow();
    for (const [index, { job, started }] of running) {
      results[index] = { job, status: 'interrupted', exitCode: interruptExitCode(signal!.reason), warnings: [], durationMs: performance.now() - started };
      opts.onResult?.(results[index]!);
    }
  } else {
    pool?.close();
  }
  return results.filter((r): r is JobResult => r !== undefined);
}
