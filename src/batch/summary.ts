// A batch's outcome: how many models ended how, and the exit code, which is
// the most severe of the models': usage error (2) > failure (1) > missed
// gate (3) > success (0). A model that could not be quantized at all is worse
// news for a pipeline than one that was written but missed a quality gate.
// An interruption (130 SIGINT, 143 SIGTERM) overrides them all.
import type { JobResult, JobStatus } from './job.js';
import type { Shard } from './shard.js';

export interface BatchSummary {
  results: JobResult[];
  counts: Record<JobStatus | 'notStarted', number>;
  exitCode: number;
  durationMs: number;
  /** the signal that interrupted the run */
  interrupted?: 'SIGINT' | 'SIGTERM';
  /** the keys of the models this run was to process (its shard's) */
  planned: string[];
  /** models in the whole list, before sharding, and the list's digest */
  listed: number;
  listSha256: string;
  shard?: Shard;
}

const SEVERITY = [0, 3, 1, 2];

/** The more severe of two exit codes (an interruption's 130/143 above all). */
export function worseExitCode(a: number, b: number): number {
  const rank = (c: number): number => (SEVERITY.includes(c) ? SEVERITY.indexOf(c) : SEVERITY.length + c);
  return rank(b) > rank(a) ? b : a;
}

export function countResults(results: readonly JobResult[], planned: number): { counts: BatchSummary['counts']; exitCode: number } {
  const counts: BatchSummary['counts'] = { ok: 0, skipped: 0, failed: 0, 'gate-failed': 0, interrupted: 0, notStarted: 0 };
  let exitCode = 0;
  for (const r of results) {
    counts[r.status]++;
    exitCode = worseExitCode(exitCode, r.exitCode);
  }
  counts.notStarted = Math.max(0, planned - results.length);
  return { counts, exitCode };
}
