// `quantize merge-reports a.ndjson b.ndjson ...`: the NDJSON reports of a
// sharded run (one per machine) as one report. Refuses, naming what is
// wrong, when the reports do not add up: a run that did not finish (no
// summary line, or interrupted), a shard missing or given twice, shards of
// different model lists, a model missing (planned but without a result) or
// reported twice.
import { readFileSync } from 'node:fs';
import { QuantizeError } from '../errors.js';
import { listDigest } from './shard.js';
import { RESULT_SCHEMA, RESULT_SCHEMA_VERSION } from './result-json.js';
import { worseExitCode } from './summary.js';
import { TOOL_VERSION } from '../quant/quantize-static.js';

/** The reports do not add up to one run: exit 1 with the reason. */
export class MergeError extends QuantizeError {
  constructor(message: string) {
    super('E_MERGE', message, 1);
  }
}

type Json = Record<string, unknown>;

interface ReportFile {
  file: string;
  models: Json[];
  summary: Json;
}

export interface MergedReport {
  /** model lines sorted by key, then the merged summary */
  lines: Json[];
  summary: Json;
  exitCode: number;
}

function readReport(file: string): ReportFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MergeError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const models: Json[] = [];
  let summary: Json | undefined;
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let obj: Json;
    try {
      obj = JSON.parse(line) as Json;
    } catch {
      throw new MergeError(`${file}:${i + 1}: not a JSON line (an NDJSON report from quantize --json-file, or --json with several models)`);
    }
    if (obj.schema !== RESULT_SCHEMA) throw new MergeError(`${file}:${i + 1}: not a quantize result (schema ${JSON.stringify(obj.schema)})`);
    if (obj.schemaVersion !== RESULT_SCHEMA_VERSION) throw new MergeError(`${file}:${i + 1}: schemaVersion ${JSON.stringify(obj.schemaVersion)}; this tool reads ${RESULT_SCHEMA_VERSION}`);
    if (summary) throw new MergeError(`${file}:${i + 1}: a line after the summary: two reports in one file?`);
    if (obj.type === 'summary') summary = obj;
    else models.push(obj);
  });
  if (!summary) throw new MergeError(`${file}: no summary line: that run did not finish (killed, or still running)`);
  if (summary.interrupted) throw new MergeError(`${file}: that run was interrupted (${String(summary.interrupted)}): its models are not all done`);
  return { file, models, summary };
}

export function mergeReports(files: readonly string[]): MergedReport {
  if (files.length === 0) throw new MergeError('name the reports to merge');
  const reports = files.map(readReport);
  checkShards(reports);

  // Every planned model exactly once.
  const plannedBy = new Map<string, string>();
  for (const r of reports) {
    for (const key of r.summary.planned as string[]) {
      const other = plannedBy.get(key);
      if (other) throw new MergeError(`${key} is in two reports (${other} and ${r.file}): the same shard merged twice, or overlapping runs`);
      plannedBy.set(key, r.file);
    }
  }
  const byKey = new Map<string, { line: Json; file: string }>();
  for (const r of reports) {
    for (const line of r.models) {
      const key = String(line.key);
      const other = byKey.get(key);
      if (other) throw new MergeError(`${key} is reported twice (${other.file} and ${r.file})`);
      if (!plannedBy.has(key)) throw new MergeError(`${r.file}: ${key} has a result but no run planned it`);
      byKey.set(key, { line, file: r.file });
    }
  }
  const missing = [...plannedBy].filter(([key]) => !byKey.has(key));
  if (missing.length) {
    throw new MergeError(`${missing.length} model${missing.length > 1 ? 's' : ''} without a result: ${missing.slice(0, 5).map(([k, f]) => `${k} (planned in ${f})`).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  }

  const keys = [...byKey.keys()].sort();
  const lines = keys.map((k) => byKey.get(k)!.line);
  const counts: Record<string, number> = { ok: 0, skipped: 0, failed: 0, 'gate-failed': 0, interrupted: 0, notStarted: 0 };
  let exitCode = 0;
  for (const line of lines) {
    counts[String(line.status)] = (counts[String(line.status)] ?? 0) + 1;
    exitCode = worseExitCode(exitCode, Number(line.exitCode));
  }
  const summary: Json = {
    type: 'summary', schema: RESULT_SCHEMA, schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'onnx-quantize', version: TOOL_VERSION },
    models: keys.length, counts, exitCode, interrupted: null,
    durationMs: reports.reduce((sum, r) => sum + Number(r.summary.durationMs ?? 0), 0),
    shard: null, listed: keys.length, listSha256: listDigest(keys), planned: keys,
    merged: reports.map((r) => r.file),
  };
  return { lines: [...lines, summary], summary, exitCode };
}

/** Shards of one list: the same count and list digest, each index once, none missing, together the whole list. */
function checkShards(reports: readonly ReportFile[]): void {
  const sharded = reports.filter((r) => r.summary.shard);
  if (sharded.length === 0) return;
  if (sharded.length !== reports.length) {
    const plain = reports.find((r) => !r.summary.shard)!;
    throw new MergeError(`${plain.file} is not a shard's report, while ${sharded[0]!.file} is: merge the shards of one run`);
  }
  const first = sharded[0]!;
  const total = (first.summary.shard as { total: number }).total;
  const seen = new Map<number, string>();
  for (const r of sharded) {
    const shard = r.summary.shard as { index: number; total: number };
    if (shard.total !== total) throw new MergeError(`${r.file} is shard ${shard.index}/${shard.total}, ${first.file} one of ${total}: not the same run`);
    if (r.summary.listSha256 !== first.summary.listSha256) throw new MergeError(`${r.file} and ${first.file} split different model lists (a model added or removed between the runs?)`);
    const other = seen.get(shard.index);
    if (other) throw new MergeError(`shard ${shard.index}/${total} is given twice (${other} and ${r.file})`);
    seen.set(shard.index, r.file);
  }
  const absent = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (absent.length) throw new MergeError(`shard${absent.length > 1 ? 's' : ''} ${absent.map((i) => `${i}/${total}`).join(', ')} missing: ${reports.length} of ${total} reports given`);
  const planned = sharded.flatMap((r) => r.summary.planned as string[]);
  if (planned.length !== Number(first.summary.listed) || listDigest(planned) !== first.summary.listSha256) {
    throw new MergeError(`the shards plan ${planned.length} models together, but the list had ${String(first.summary.listed)}`);
  }
}
