// A model's result as JSON: the quantization report, the output and its
// size, and the benchmark under `bench`; for a failure, the error.
import type { JobResult } from './job.js';

export function resultJson(r: JobResult): Record<string, unknown> {
  const { job } = r;
  if (!r.written) {
    return { input: job.entry.input, error: r.error instanceof Error ? r.error.message : String(r.error), exitCode: r.exitCode };
  }
  const saved = r.written.saved;
  return { input: job.entry.input, output: job.output, bytes: saved.bytes + (saved.externalBytes ?? 0), ...r.written.report, bench: r.bench };
}
