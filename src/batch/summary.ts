// A batch's outcome: how many models ended how, and the exit code, which is
// the most severe of the models': usage error (2) > failure (1) > missed
// gate (3) > success (0). A model that could not be quantized at all is worse
// news for a pipeline than one that was written but missed a quality gate.
import type { JobResult, JobStatus } from './job.js';

export interface BatchSummary {
  results: JobResult[];
  counts: Record<JobStatus, number>;
  exitCode: number;
  durationMs: number;
}

const SEVERITY = [0, 3, 1, 2];

/** The more severe of two exit codes (an interruption's 130/143 above all). */
export function worseExitCode(a: number, b: number): number {
  const rank = (c: number): number => (SEVERITY.includes(c) ? SEVERITY.indexOf(c) : SEVERITY.length + c);
  return rank(b) > rank(a) ? b : a;
}

export function summarize(results: JobResult[], durationMs: number): BatchSummary {
  const counts: Record<JobStatus, number> = { ok: 0, skipped: 0, failed: 0, 'gate-failed': 0, interrupted: 0 };
  let exitCode = 0;
  for (const r of results) {
    counts[r.status]++;
    exitCode = worseExitCode(exitCode, r.exitCode);
  }
  return { results, counts, exitCode, durationMs };
}
