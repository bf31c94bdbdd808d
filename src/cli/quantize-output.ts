// What the quantize command prints: per model, its report and benchmark as
// text (or JSON), warnings and errors on stderr; progress bars on a terminal.
import chalk from 'chalk';
import cliProgress from 'cli-progress';
import type { BatchHooks } from '../batch/run-batch.js';
import type { BatchSummary } from '../batch/summary.js';
import type { JobProgressStage, JobResult } from '../batch/job.js';
import { resultJson } from '../batch/result-json.js';
import { formatBench } from '../report/bench-text.js';
import { formatQuantizeReport } from '../report/quantize-text.js';
import { printError } from './print-error.js';

export interface PrinterOptions {
  json: boolean;
  several: boolean;
}

export function quantizePrinter(opts: PrinterOptions): { hooks: BatchHooks; finish(summary: BatchSummary): void } {
  const bars = new Map<JobProgressStage, ProgressBar>();
  const collected: unknown[] = [];
  const onResult = (r: JobResult): void => {
    if (r.written && !opts.json) {
      process.stdout.write(`${formatQuantizeReport(r.job.entry.input, r.job.output, r.written.report)}\n`);
      if (r.bench) process.stdout.write(`\n${formatBench(r.bench)}\n`);
    }
    for (const w of r.warnings) process.stderr.write(`${chalk.yellow.bold('warning:')} ${w}\n`);
    if (r.error !== undefined) printError(r.error);
    if (opts.json) {
      if (opts.several) collected.push(resultJson(r));
      else if (r.written) process.stdout.write(`${JSON.stringify(resultJson(r), null, 2)}\n`);
    } else if (opts.several) {
      process.stdout.write('\n');
    }
  };
  return {
    hooks: {
      onResult,
      onProgress: (_job, stage, done, total) => {
        let bar = bars.get(stage);
        if (!bar) {
          bar = progressBar(stage);
          if (!bar) return;
          bars.set(stage, bar);
        }
        bar.update(done, total);
      },
      onStageEnd: (_job, stage) => {
        bars.get(stage)?.stop();
        bars.delete(stage);
      },
    },
    finish() {
      if (opts.json && opts.several) process.stdout.write(`${JSON.stringify(collected, null, 2)}\n`);
    },
  };
}

interface ProgressBar {
  update(done: number, total: number): void;
  stop(): void;
}

function progressBar(label: string): ProgressBar | undefined {
  if (!process.stderr.isTTY) return undefined;
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
