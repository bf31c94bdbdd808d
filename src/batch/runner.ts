// Runs the jobs of a batch, up to `jobs` at once: quantizations side by side
// (each in a worker process when more than one runs, so they use several
// cores and one crashing cannot take the others down), benchmarks alone.
// Results are handed over as each model finishes, and returned in the
// batch's order.
import { discoverProviders, type ProviderStatus } from '../bench/providers.js';
import { quantizeFile } from '../quant/quantize-file.js';
import { ExclusiveGate } from './exclusive-gate.js';
import { runModelJob, type JobContext, type JobProgressStage, type JobResult, type ModelJob } from './job.js';

export interface RunnerOptions {
  /** jobs at once (>= 1) */
  jobs: number;
  /** called as each model finishes, in the order they finish */
  onResult?(result: JobResult): void;
  /** progress of the running job's stages (only meaningful with one job at a time) */
  onProgress?(job: ModelJob, stage: JobProgressStage, done: number, total: number): void;
  onStageEnd?(job: ModelJob, stage: JobProgressStage): void;
}

export async function runJobs(jobs: readonly ModelJob[], opts: RunnerOptions): Promise<JobResult[]> {
  const gate = new ExclusiveGate();
  const results: JobResult[] = new Array(jobs.length);
  let probe: Promise<readonly ProviderStatus[]> | undefined;
  // Probed once for the batch, in its own child process, when the first benchmark asks.
  const providerStatus = async (): Promise<readonly ProviderStatus[]> => (probe ??= discoverProviders());
  const contextFor = (job: ModelJob): JobContext => ({
    writeModel: (input, output, options) => quantizeFile(input, output, options),
    exclusive: (fn) => gate.exclusiveFromShared(fn),
    ...(jobs.length > 1 ? { providerStatus } : {}),
    ...(opts.onProgress ? { onProgress: (stage, done, total) => opts.onProgress!(job, stage, done, total) } : {}),
    ...(opts.onStageEnd ? { onStageEnd: (stage) => opts.onStageEnd!(job, stage) } : {}),
  });
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index]!;
      const result = await gate.shared(() => runModelJob(job, contextFor(job)));
      results[index] = result;
      opts.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.jobs, jobs.length)) }, lane));
  return results;
}
