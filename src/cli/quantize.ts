// `quantize model.onnx --int8 --calibrate samples/ [-o out]`: quantize, write
// atomically, then compare against the original (unless --no-bench).
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import chalk from 'chalk';
import { UsageError, GateError } from '../errors.js';
import type { QuantizeReport } from '../quant/quantize-model.js';
import { quantizeFile } from '../quant/quantize-file.js';
import { generatedSample } from '../data/generated-feeds.js';
import { benchModels, type BenchReport } from '../bench/bench.js';
import { gateFailure } from '../bench/gates.js';
import { formatBench } from '../report/bench-text.js';
import { addBenchOptions, benchSettings, labelsFor, writeReport, type BenchCliOptions } from './bench.js';
import { addCalibrationOptions, addDataOptions, calibrationSettings, dataSettings, openSamples, printNotes, printWarning, type CalibrationCliOptions } from './data-options.js';
import { heading } from './format.js';
import { printError } from './print-error.js';

interface QuantizeCliOptions extends BenchCliOptions, CalibrationCliOptions {
  int8?: boolean;
  output?: string;
  calibrate?: string;
  weightOnly?: boolean;
  method: string;
  perTensor?: boolean;
  reduceRange: boolean;
  exclude: string[];
  bench: boolean;
  eval?: string;
  labels?: string;
  json?: boolean;
  force?: boolean;
  externalData?: boolean;
  threads?: string;
  maxAccuracyDrop?: string;
  minIntensity?: string;
  percentile?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerQuantize(program: Command): void {
  program
    .argument('[models...]', 'ONNX models to quantize (each written beside its input as <name>.int8.onnx unless -o names the one output)')
    .option('--int8', 'INT8 quantization (the default): static with --calibrate, dynamic without, --weight-only on request')
    .option('-o, --output <file>', 'output path (default: <model>.int8.onnx beside the input)')
    .option('--calibrate <samples>', 'calibration samples for static INT8: a folder (searched recursively) of .npz, .json/.ndjson, images (with --preprocess), .wav or .txt/.jsonl files, or a .npy whose first axis is samples; without them: dynamic INT8')
    .option('--weight-only', 'int8 weights only, float activations and math: the smallest file, no calibration needed')
    .option('--method <name>', 'calibration method: minmax, percentile (clips the rarest values) or entropy (KL-optimal clipping, TensorRT\'s procedure)', 'minmax')
    .option('--percentile <p>', 'for --method percentile: the central share of values kept (default 99.999)')
    .option('--per-tensor', 'one scale per weight tensor instead of per output channel')
    .option('--no-reduce-range', 'full 8-bit weights; by default weights use 7 bits ([-64, 64]) because ONNX Runtime\'s u8×s8 kernels saturate on x86 CPUs without VNNI')
    .option('--exclude <names>', 'node names or op types to keep in float (comma separated, repeatable)', collect, [])
    .option('--min-intensity <n>', 'multiply-adds per activation element below which a Conv/MatMul/Gemm keeps only int8 weights (default 16; 0 quantizes all)')
    .option('--no-bench', 'skip the comparison with the original after writing')
    .option('--eval <samples>', 'samples for the comparison (default: the calibration samples)')
    .option('--labels <file>', 'labels.json mapping sample file name to class index (default: labels.json in the eval folder)')
    .option('--threads <n>', 'intra-op threads for the latency measurement (default: ONNX Runtime\'s)')
    .option('--max-accuracy-drop <x>', 'exit 3 if accuracy drops more than x points (labels), or top-1 agreement/cosine falls by more than x/100')
    .option('--external-data', 'save weights to a side file <output>.data')
    .option('--json', 'print the result as JSON')
    .option('--force', 'overwrite an existing output file');
  // The benchmark run after writing takes the bench command's own options too.
  addBenchOptions(program);
  addDataOptions(addCalibrationOptions(program));
  program.action(async (models: string[], opts: QuantizeCliOptions) => {
    if (models.length === 0) {
      program.help({ error: true });
      return;
    }
    const first = models[0]!;
    if (!existsSync(first) && !/\.onnx$/i.test(first)) {
      // Not a file, not named like a model: most likely a mistyped command.
      const near = program.commands.map((c) => c.name()).find((name) => editDistance(name, first) <= 2);
      throw new UsageError(`unknown command or missing model '${first}'${near ? ` (did you mean ${near}?)` : ''}`);
    }
    if (models.length === 1) {
      const result = await runQuantize(models[0]!, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    await runMany(models, opts);
  });
}

function derivedOutput(input: string): string {
  const name = basename(input).replace(/\.onnx$/i, '');
  return join(dirname(input), `${name}.int8.onnx`);
}

/**
 * Several models, one after the other (a folder of models from a script):
 * a model that fails is reported and the rest go on; the exit code is the
 * worst of them. With --json: one array, an `error` entry for each failure.
 */
async function runMany(models: string[], opts: QuantizeCliOptions): Promise<void> {
  if (opts.output) throw new UsageError('-o names one output file; with several models each is written beside its input as <name>.int8.onnx');
  if (opts.report) throw new UsageError('--report names one file; with several models use --json and split it');
  const results: unknown[] = [];
  let exitCode = 0;
  for (const model of models) {
    try {
      results.push(await runQuantize(model, opts));
    } catch (err) {
      const code = printError(err);
      exitCode = Math.max(exitCode, code);
      results.push({ input: model, error: err instanceof Error ? err.message : String(err), exitCode: code });
    }
    if (!opts.json) process.stdout.write('\n');
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  if (exitCode) process.exitCode = exitCode;
}

/** Quantizes one model and prints its report (text), or returns it (for --json, printed by the caller). */
async function runQuantize(modelPath: string, opts: QuantizeCliOptions): Promise<Record<string, unknown>> {
  if (!['minmax', 'percentile', 'entropy'].includes(opts.method)) throw new UsageError(`--method ${opts.method}: choose minmax, percentile or entropy`);
  const percentile = opts.percentile === undefined ? undefined : Number(opts.percentile);
  if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) throw new UsageError('--percentile must be a number in (50, 100]');
  const output = opts.output ?? derivedOutput(modelPath);
  if (resolve(output) === resolve(modelPath)) throw new UsageError(`the output ${output} would overwrite the input model`);
  if (existsSync(output) && !opts.force) throw new UsageError(`${output} exists: pass --force to overwrite it`);
  // Bench settings are checked before the (long) quantization, so a typo fails at once.
  if (opts.bench) await benchSettings(opts);

  const minIntensity = opts.minIntensity === undefined ? undefined : Number(opts.minIntensity);
  if (minIntensity !== undefined && !(minIntensity >= 0)) throw new UsageError('--min-intensity must be a number >= 0');
  const data = dataSettings(opts, printWarning);
  const bar = progressBar('calibrating');
  let outcome;
  try {
    outcome = await quantizeFile(modelPath, output, {
      data, ...calibrationSettings(opts), onNote: (note) => printNotes([note]),
      calibrate: opts.calibrate, weightOnly: opts.weightOnly, perTensor: opts.perTensor, reduceRange: opts.reduceRange,
      exclude: opts.exclude, minIntensity, externalData: opts.externalData, checkSamples: opts.eval,
      method: opts.method as 'minmax' | 'percentile' | 'entropy', percentile,
      onProgress: (done, total) => bar?.update(done, total),
    });
  } finally {
    bar?.stop();
  }
  const saved = outcome.saved;

  let bench: BenchReport | undefined;
  if (opts.bench) {
    const settings = await benchSettings(opts);
    const evalPath = opts.eval ?? opts.calibrate;
    const specs = outcome.inputs;
    // Without samples the comparison runs on one generated input: latency is real, fidelity indicative.
    const dataset = evalPath ? openSamples(evalPath, modelPath, specs, data) : [generatedSample(specs)];
    const { labels, labelsFile } = labelsFor(opts.labels, evalPath, Array.isArray(dataset) ? undefined : dataset.labels?.from);
    const progress = progressBar('benchmarking');
    try {
      bench = await benchModels({
        ...settings, original: modelPath, quantized: output, dataset, dataSource: evalPath ?? 'generated',
        ...(labels ? { labels } : {}), ...(labelsFile ? { labelsFile } : {}),
        onProgress: (p) => (p.stage === 'compare' ? progress?.update(p.done, p.total ?? p.done) : undefined),
      });
    } finally {
      progress?.stop();
    }
  }

  const result = { input: modelPath, output, bytes: saved.bytes + (saved.externalBytes ?? 0), ...outcome.report, bench };
  if (!opts.json) {
    process.stdout.write(`${formatReport(modelPath, output, outcome.report)}\n`);
    if (bench) process.stdout.write(`\n${formatBench(bench)}\n`);
  }
  for (const f of outcome.report.fallbacks) process.stderr.write(`${chalk.yellow.bold('warning:')} node ${f.node} left in float: ${f.reason}\n`);
  for (const w of bench?.warnings ?? []) process.stderr.write(`${chalk.yellow.bold('warning:')} ${w}\n`);
  if (bench && opts.report) writeReport(opts.report, bench);
  const failure = bench ? gateFailure(bench.gates) : undefined;
  if (failure) {
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    throw new GateError(failure);
  }
  return result;
}

function progressBar(label: string): { update(done: number, total: number): void; stop(): void } | undefined {
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

function formatReport(input: string, output: string, r: QuantizeReport): string {
  const lines: string[] = [];
  lines.push(`${heading('Quantized')} ${input} → ${output}`);
  const modeName = r.mode === 'static' ? 'static INT8 (QDQ)' : r.mode === 'dynamic' ? 'dynamic INT8' : 'weight-only INT8';
  const activations = r.mode === 'static' ? 'activations uint8' : r.mode === 'dynamic' ? 'activations quantized per call' : 'activations float';
  lines.push(`mode: ${modeName}: ${r.modeReason}; weights int8 ${r.perChannel ? 'per channel' : 'per tensor'}, ${activations}`);
  const kernels = Object.entries(r.quantized).map(([op, n]) => `${n} ${op}`).join(', ');
  if (kernels) lines.push(`quantized (integer kernels): ${kernels}`);
  if (r.foldedBatchNorms) lines.push(`folded ${r.foldedBatchNorms} BatchNormalization into the Conv before it`);
  if (r.promotedConstants) lines.push(`read ${r.promotedConstants} weights from Constant nodes`);
  for (const w of r.weightOnly) lines.push(`weight-only (int8 weights, float math): ${w.nodes.length} node${w.nodes.length > 1 ? 's' : ''} (${w.reason}): ${w.nodes.slice(0, 6).join(', ')}${w.nodes.length > 6 ? ', …' : ''}`);
  for (const f of r.float) lines.push(chalk.dim(`left float: ${f.nodes.length} node${f.nodes.length > 1 ? 's' : ''} (${f.reason}): ${f.nodes.slice(0, 6).join(', ')}${f.nodes.length > 6 ? ', …' : ''}`));
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const f of r.fallbacks) lines.push(chalk.yellow(`fell back to float: ${f.node} (${f.reason})`));
  return lines.join('\n');
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}
