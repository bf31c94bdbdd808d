// Results as JSON (schema/quantize-result.schema.json): one object per model
// (the quantization report, the output and its size, the benchmark under
// `bench`; the error for a failure) and one summary object per run.
import type { JobResult } from './job.js';
import type { BatchSummary } from './summary.js';
import { TOOL_VERSION } from '../quant/quantize-static.js';

export const RESULT_SCHEMA = 'onnx-quantize/quantize-result';
export const RESULT_SCHEMA_VERSION = 1;

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function resultJson(r: JobResult): Record<string, unknown> {
  const { job } = r;
  const saved = r.written?.saved;
  return {
    type: 'model', schema: RESULT_SCHEMA, schemaVersion: RESULT_SCHEMA_VERSION,
    input: job.entry.input, key: job.entry.key, output: job.output,
    status: r.status, exitCode: r.exitCode, durationMs: Math.round(r.durationMs),
    ...(r.error !== undefined ? { error: errorMessage(r.error) } : {}),
    ...(r.skipReason ? { skipped: r.skipReason } : {}),
    ...(r.redone ? { redone: r.redone } : {}),
    warnings: r.warnings,
    ...(saved ? { bytes: saved.bytes + (saved.externalBytes ?? 0) } : {}),
    ...(r.provenance ?? {}),
    ...(r.written?.report ?? {}),
    ...(r.bench ? { bench: r.bench } : {}),
  };
}

export function summaryJson(s: BatchSummary): Record<string, unknown> {
  return {
    type: 'summary', schema: RESULT_SCHEMA, schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'onnx-quantize', version: TOOL_VERSION },
    models: s.planned.length, counts: s.counts, exitCode: s.exitCode, interrupted: s.interrupted ?? null,
    durationMs: Math.round(s.durationMs),
    shard: s.shard ? { index: s.shard.index, total: s.shard.total } : null,
    listed: s.listed, listSha256: s.listSha256, planned: s.planned,
  };
}
