// `quantize bench original.onnx quantized.onnx [--data samples/]`: accuracy,
// memory and latency of the two models on every execution provider that can
// start here; a table on stdout (or JSON with --json), Markdown or JSON with
// --report, and exit code 3 when a gate (--max-accuracy-drop, --min-speedup)
// is not met.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import chalk from 'chalk';
import cliProgress from 'cli-progress';
import ort from 'onnxruntime-node';
import { GateError, RuntimeFailure, UsageError } from '../errors.js';
import { addDataOptions, dataSettings, openSamples, printWarning, type DataCliOptions } from './data-options.js';
import { inputSpecs } from '../quant/prepare.js';
import { generatedSample } from '../data/generated-feeds.js';
import type { DType } from '../data/ndarray.js';
import type { InputSpec } from '../data/validate.js';
import { loadModel } from '../onnx/load.js';
import { benchModels, type BenchOptions, type BenchProgress, type BenchReport } from '../bench/bench.js';
import { gateFailure } from '../bench/gates.js';
import { buildBenchSettings, type BenchSettings } from '../bench/settings.js';
import { labelsFor, readLabels } from '../data/labels.js';
import { writeReport } from '../report/write-report.js';
import { parseProviderList } from '../bench/providers.js';
import type { SampleSource } from '../bench/compare.js';
import { formatBench } from '../report/bench-text.js';
import { isCi } from './ci.js';

export { readLabels, writeReport, type BenchSettings };

export interface BenchCliOptions extends DataCliOptions {
  data?: string;
  labels?: string;
  providers?: string;
  threads?: string;
  batch?: string;
  batchSizes?: string;
  pricePerHour?: string;
  metric?: string;
  warmup?: string;
  runs?: string;
  minTime?: string;
  memory?: boolean;
  memoryRuns?: string;
  json?: boolean;
  report?: string;
  maxAccuracyDrop?: string;
  minSpeedup?: string;
}

export function registerBench(program: Command): void {
  const command = program
    .command('bench')
    .description('compare an original and a quantized model: accuracy, latency, memory, on every execution provider that starts here')
    .argument('<original>', 'the reference (float) model')
    .argument('<quantized>', 'the quantized model')
    .option('--data <samples>', 'samples: a folder (searched recursively) of .npz, .json/.ndjson, images, .wav or .txt/.jsonl files, a .npy (first axis = samples), or one such file (default: one generated input)')
    .option('--labels <file>', 'labels.json mapping sample file name to class index (default: labels.json in the --data folder)')
    .option('--threads <n>', 'intra-op threads (default: ONNX Runtime\'s, one per physical core)')
    .option('--json', 'print the report as JSON (schema/bench-report.schema.json)')
    .option('--max-accuracy-drop <x>', 'exit 3 if top-1 accuracy drops more than x points (labels), else top-1 agreement falls more than x points below 100%, else 100 × (1 − cosine) exceeds x');
  addDataOptions(addBenchOptions(command)).action(async (original: string, quantized: string, opts: BenchCliOptions) => {
    await runBench(original, quantized, opts);
  });
}

/**
 * The options only the benchmark has (providers, batching, cost, metric,
 * timing, memory, report, speed gate), for a command that has its own
 * --data/--eval, --labels, --threads, --json and --max-accuracy-drop
 * (`quantize` adds these to bench its output the same way).
 */
export function addBenchOptions(command: Command): Command {
  return command
    .option('--providers <list>', 'execution providers to bench, comma separated, e.g. cpu,cuda (default: every one that starts here)')
    .option('--batch <n>', 'inferences per run for latency and memory, rows taken from the samples (needs a dynamic batch axis)')
    .option('--batch-sizes <list>', 'also measure latency at these batch sizes, e.g. 1,8,32')
    .option('--price-per-hour <price>', 'price of the machine per hour: adds cost per million inferences and the saving')
    .option('--metric <file.js>', 'a module exporting a function (outputs, sample) => number | {name: number}, averaged over the samples')
    .option('--warmup <n>', 'untimed runs of each model before timing', '5')
    .option('--runs <n>', 'timed runs of each model, at least', '20')
    .option('--min-time <ms>', 'time spent in timed runs, at least (both models together)', '1000')
    .option('--memory-runs <n>', 'runs of each model in its memory-measurement process', '10')
    .option('--no-memory', 'skip the memory measurement (child processes)')
    .option('--report <file>', 'also write the report to a file: Markdown, or JSON when the name ends in .json')
    .option('--min-speedup <y>', 'exit 3 if the speed-up (median original / median quantized) is below y on any provider or batch size');
}

/**
 * The bench options of a command line, checked (UsageError for a bad value)
 * and the --metric module loaded.
 */
export async function benchSettings(opts: BenchCliOptions): Promise<BenchSettings> {
  return buildBenchSettings({
    ...(opts.providers === undefined ? {} : { providers: parseProviderList(opts.providers) }),
    threads: optionalInt(opts.threads, '--threads', 1),
    batch: optionalInt(opts.batch, '--batch', 1),
    batchSizes: opts.batchSizes === undefined ? undefined : parseBatchSizes(opts.batchSizes),
    pricePerHour: optionalNumber(opts.pricePerHour, '--price-per-hour', (x) => x > 0, 'a price > 0'),
    maxAccuracyDrop: optionalNumber(opts.maxAccuracyDrop, '--max-accuracy-drop', (x) => x >= 0, 'a number >= 0'),
    minSpeedup: optionalNumber(opts.minSpeedup, '--min-speedup', (x) => x > 0, 'a number > 0'),
    warmup: optionalInt(opts.warmup, '--warmup', 0),
    runs: optionalInt(opts.runs, '--runs', 1),
    minTime: optionalNumber(opts.minTime, '--min-time', (x) => x >= 0, 'milliseconds >= 0'),
    memory: opts.memory,
    memoryRuns: optionalInt(opts.memoryRuns, '--memory-runs', 1),
    metric: opts.metric,
  });
}

/** Runs the bench command: parse, measure, print, write the report, apply the gates. */
export async function runBench(original: string, quantized: string, opts: BenchCliOptions): Promise<BenchReport> {
  const settings = await benchSettings(opts);
  if (opts.labels && !existsSync(opts.labels)) throw new UsageError(`--labels ${opts.labels}: no such file`);

  // The samples, read against the original model's input names.
  let dataset: SampleSource;
  let dataSource: string;
  let folderLabels: string | undefined;
  if (opts.data) {
    const d = openSamples(opts.data, original, modelInputSpecs(original), dataSettings(opts, printWarning));
    folderLabels = d.labels?.from;
    dataset = d;
    dataSource = opts.data;
  } else {
    dataset = [generatedSample(await sessionInputSpecs(original))];
    dataSource = 'generated';
  }
  const { labels, labelsFile } = labelsFor(opts.labels, opts.data, folderLabels);
  return benchAndPrint({ ...settings, original, quantized, dataset, dataSource, ...(labels ? { labels } : {}), ...(labelsFile ? { labelsFile } : {}) },
    { json: opts.json === true, ...(opts.report ? { report: opts.report } : {}) });
}

/**
 * Benchmarks with progress on stderr (on a terminal), prints the table (or
 * JSON) on stdout and the warnings on stderr, writes --report, and throws
 * GateError (exit 3) with one line when a gate failed.
 */
export async function benchAndPrint(options: BenchOptions, output: { json?: boolean; report?: string } = {}): Promise<BenchReport> {
  const progress = progressReporter();
  let report: BenchReport;
  try {
    report = await benchModels({ ...options, onProgress: progress.update });
  } finally {
    progress.stop();
  }
  process.stdout.write(output.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatBench(report)}\n`);
  for (const w of report.warnings) process.stderr.write(`${chalk.yellow.bold('warning:')} ${w}\n`);
  if (output.report) writeReport(output.report, report);
  const failure = gateFailure(report.gates);
  if (failure) throw new GateError(failure);
  return report;
}

/** The model's inputs as the file declares them (names, dtypes, shapes). */
export function modelInputSpecs(file: string): InputSpec[] {
  const model = loadModel(file);
  try {
    return inputSpecs(model.proto);
  } finally {
    model.close();
  }
}

/** The model's graph inputs that are not initializers, in order. */
export function modelInputNames(file: string): string[] {
  const model = loadModel(file);
  try {
    const graph = model.proto.graph;
    const inits = new Set((graph?.initializer ?? []).map((t) => t.name));
    return (graph?.input ?? []).map((v) => v.name ?? '').filter((n) => n && !inits.has(n));
  } finally {
    model.close();
  }
}

/** The model's inputs as ONNX Runtime reports them (symbolic dimensions as strings). */
async function sessionInputSpecs(file: string): Promise<InputSpec[]> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
  } catch (err) {
    throw new RuntimeFailure(`${file}: ONNX Runtime cannot load it: ${(err as Error).message}`, { cause: err });
  }
  try {
    return session.inputMetadata.map((m) => {
      if (!m.isTensor || m.type === 'string') throw new UsageError(`input '${m.name}' of ${file} is not a numeric tensor: give samples with --data`);
      return { name: m.name, dtype: m.type as DType, shape: [...m.shape] };
    });
  } finally {
    await session.release();
  }
}

export function parseBatchSizes(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError('--batch-sizes: give one or more batch sizes, e.g. 1,8,32');
  const sizes = parts.map((p) => {
    const n = Number(p);
    if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`--batch-sizes: '${p}' is not a positive integer`);
    return n;
  });
  return [...new Set(sizes)];
}

export function optionalInt(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isInteger(n) && n >= min)) throw new UsageError(`${name} must be an integer >= ${min} (got '${value}')`);
  return n;
}

export function optionalNumber(value: string | undefined, name: string, ok: (x: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isFinite(n) && ok(n))) throw new UsageError(`${name} must be ${what} (got '${value}')`);
  return n;
}

/** Progress on stderr, only on a terminal: a bar while samples run, a line for the other stages. */
function progressReporter(): { update(e: BenchProgress): void; stop(): void } {
  if (!process.stderr.isTTY || isCi()) return { update: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let barProvider = '';
  const stopBar = (): void => {
    bar?.stop();
    bar = undefined;
  };
  return {
    update(e) {
      if (e.stage === 'compare') {
        if (!bar || barProvider !== e.provider) {
          stopBar();
          barProvider = e.provider;
          bar = new cliProgress.SingleBar({ format: `${e.provider}: comparing [{bar}] {value}/{total} samples`, stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic);
          bar.start(e.total ?? e.done, 0);
        }
        bar.setTotal(e.total ?? e.done);
        bar.update(e.done);
        return;
      }
      stopBar();
      const text = e.stage === 'probe' ? 'finding execution providers…' : `${e.provider}: memory of the ${e.model} model…`;
      process.stderr.write(`${chalk.dim(text)}\n`);
    },
    stop: stopBar,
  };
}
