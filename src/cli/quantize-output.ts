// What the quantize command prints. Per model, as it finishes: its report and
// benchmark as text, or one JSON object (one model file named), or one NDJSON
// line (a list of models), and with --json-file the NDJSON line to that file
// too; warnings and errors on stderr. At the end, for a list: a summary
// (a table, or the NDJSON summary line). Progress bars only on a terminal,
// outside CI, one job at a time and not --quiet.
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import chalk from 'chalk';
import cliProgress from 'cli-progress';
import { UsageError } from '../errors.js';
import type { BatchHooks, BatchPlan } from '../batch/run-batch.js';
import type { BatchSummary } from '../batch/summary.js';
import type { JobProgressStage, JobResult } from '../batch/job.js';
import { resultJson, summaryJson } from '../batch/result-json.js';
import { formatBench } from '../report/bench-text.js';
import { formatQuantizeReport } from '../report/quantize-text.js';
import { printError } from './print-error.js';
import { formatBytes, table } from './format.js';
import { isCi } from './ci.js';

export interface PrinterOptions {
  json: boolean;
  /** one model file was named: one JSON object rather than NDJSON, no summary */
  single: boolean;
  quiet: boolean;
  /** NDJSON to this file too */
  jsonFile?: string;
}

export interface QuantizePrinter {
  hooks: BatchHooks;
  finish(summary: BatchSummary): void;
}

export function quantizePrinter(opts: PrinterOptions): QuantizePrinter {
  const ndjsonOut = opts.json && !opts.single;
  const file = opts.jsonFile ? openJsonFile(opts.jsonFile) : undefined;
  const writeLine = (obj: unknown): void => {
    const line = `${JSON.stringify(obj)}\n`;
    if (ndjsonOut) process.stdout.write(line);
    if (file !== undefined) writeSync(file, line);
  };
  let showProgress = false;
  const bars = new Map<JobProgressStage, ProgressBar>();

  const onResult = (r: JobResult): void => {
    if (!opts.json && !opts.quiet) printText(r, !opts.single);
    if (!opts.quiet) for (const w of r.warnings) process.stderr.write(`${chalk.yellow.bold('warning:')} ${w}\n`);
    if (r.error !== undefined) printError(r.error);
    if (opts.json && opts.single) process.stdout.write(`${JSON.stringify(resultJson(r), null, 2)}\n`);
    writeLine(resultJson(r));
  };

  return {
    hooks: {
      onPlanned(plan: BatchPlan) {
        showProgress = plan.concurrency === 1 && process.stderr.isTTY === true && !isCi() && !opts.quiet;
        if (!opts.single && !opts.quiet) {
          process.stderr.write(chalk.dim(`${plan.jobs.length} model${plan.jobs.length === 1 ? '' : 's'} to quantize, ${plan.concurrency} at a time${plan.listed !== plan.jobs.length ? ` (this shard's of ${plan.listed})` : ''}\n`));
        }
      },
      onResult,
      onProgress: (_job, stage, done, total) => {
        if (!showProgress) return;
        let bar = bars.get(stage);
        if (!bar) bars.set(stage, (bar = progressBar(stage)));
        bar.update(done, total);
      },
      onStageEnd: (_job, stage) => {
        bars.get(stage)?.stop();
        bars.delete(stage);
      },
    },
    finish(summary) {
      for (const bar of bars.values()) bar.stop();
      if (!opts.single || file !== undefined) writeLine(summaryJson(summary));
      if (file !== undefined) closeSync(file);
      if (!opts.json && !opts.single) process.stdout.write(`${formatSummary(summary, opts.quiet)}\n`);
      else if (summary.interrupted && !opts.json) process.stderr.write(`${interruptLine(summary)}\n`);
    },
  };
}

function openJsonFile(path: string): number {
  if (!existsSync(dirname(path) || '.')) throw new UsageError(`--json-file ${path}: the folder ${dirname(path)} does not exist`);
  try {
    return openSync(path, 'w');
  } catch (err) {
    throw new UsageError(`--json-file ${path}: cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** One model's text: its report and benchmark, or why it was skipped. */
function printText(r: JobResult, several: boolean): void {
  const { job } = r;
  if (r.status === 'skipped') {
    process.stdout.write(`${chalk.bold.cyan('Skipped')} ${job.entry.input} → ${job.output}: ${r.skipReason}\n`);
  } else if (r.written) {
    process.stdout.write(`${formatQuantizeReport(job.entry.input, job.output, r.written.report)}\n`);
    if (r.redone) process.stdout.write(`made again: ${r.redone}\n`);
    if (r.bench) process.stdout.write(`\n${formatBench(r.bench)}\n`);
  }
  if (several && (r.written || r.status === 'skipped')) process.stdout.write('\n');
}

function interruptLine(s: BatchSummary): string {
  const c = s.counts;
  return `${chalk.red('interrupted')} (${s.interrupted}): ${c.ok + c.skipped + c.failed + c['gate-failed']} finished, ${c.interrupted} stopped, ${c.notStarted} not started; no partial output was left`;
}

const STATUS_TEXT: Record<JobResult['status'], string> = {
  ok: 'ok', skipped: 'skipped', failed: 'failed', 'gate-failed': 'gate missed', interrupted: 'interrupted',
};

/** The summary of a list: one line of counts, then a row per model (only the failures with --quiet). */
export function formatSummary(s: BatchSummary, quiet: boolean): string {
  const c = s.counts;
  const parts = [`${c.ok} ok`, c.skipped && `${c.skipped} skipped`, c.failed && `${c.failed} failed`, c['gate-failed'] && `${c['gate-failed']} missed a gate`,
    c.interrupted && `${c.interrupted} interrupted`, c.notStarted && `${c.notStarted} not started`].filter(Boolean);
  const head = `${chalk.bold('Summary:')} ${s.planned.length} model${s.planned.length === 1 ? '' : 's'}${s.shard ? ` (shard ${s.shard.index}/${s.shard.total} of ${s.listed})` : ''}: ${parts.join(', ')} in ${(s.durationMs / 1000).toFixed(1)} s`;
  const rows = s.results
    .filter((r) => !quiet || r.status === 'failed' || r.status === 'gate-failed')
    .map((r) => {
      const status = r.status === 'ok' || r.status === 'skipped' ? chalk.green(STATUS_TEXT[r.status]) : chalk.red(STATUS_TEXT[r.status]);
      const size = r.written ? formatBytes(r.written.saved.bytes + (r.written.saved.externalBytes ?? 0)) : '';
      const detail = r.error !== undefined ? (r.error instanceof Error ? r.error.message : String(r.error)).split('\n')[0]! : r.status === 'skipped' ? 'up to date' : r.job.output;
      return [status, r.job.entry.input, size, r.status === 'skipped' || r.status === 'interrupted' ? '' : `${(r.durationMs / 1000).toFixed(1)} s`, detail];
    });
  const lines = [head];
  if (rows.length) lines.push(table(rows, ['result', 'model', 'output size', 'time', 'output or error']));
  if (s.interrupted) lines.push(interruptLine(s));
  return lines.join('\n');
}

interface ProgressBar {
  update(done: number, total: number): void;
  stop(): void;
}

function progressBar(label: string): ProgressBar {
  const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} samples, {eta_formatted} left`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(done, total) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
