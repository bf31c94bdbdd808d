// `quantize analyze model.onnx --calibrate samples/ [--eval samples/]`: per
// unit the static plan would quantize, its accuracy cost and the time it
// saves, measured; a ranked table, --json, --report report.html.
import type { Command } from 'commander';
import chalk from 'chalk';
import { UsageError } from '../errors.js';
import { analyzeModel, type Analysis } from '../auto/analyze.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../calib/calibrate.js';
import { formatAnalysis } from '../report/analysis-text.js';
import { writeHtmlReport } from '../report/html-file.js';
import { parseProviderList } from '../bench/providers.js';
import { addDataOptions, dataSettings, type DataCliOptions } from './data-options.js';

interface AnalyzeCliOptions extends DataCliOptions {
  calibrate?: string;
  eval?: string;
  method: string;
  samples: string;
  threads?: string;
  providers?: string;
  reduceRange: boolean;
  perTensor?: boolean;
  exclude: string[];
  json?: boolean;
  report?: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export function registerAnalyze(program: Command): void {
  const command = program
    .command('analyze')
    .description('per layer: the accuracy each costs when quantized and the time it saves, measured on your samples')
    .argument('<model>', 'the float model')
    .option('--calibrate <samples>', 'calibration samples (as for quantize --calibrate)')
    .option('--eval <samples>', 'evaluation samples (default: the calibration samples, which may flatter the result)')
    .option('--method <name>', `calibration method: ${CALIBRATION_METHODS.join(', ')}`, 'auto')
    .option('--samples <n>', 'evaluation samples the analysis runs (a small subset: each is run many times)', '16')
    .option('--threads <n>', 'intra-op threads for the timing profile (default: ONNX Runtime\'s)')
    .option('--providers <name>', 'execution provider the timing profile runs on', 'cpu')
    .option('--no-reduce-range', 'full 8-bit weights in integer kernels as the default variant')
    .option('--per-tensor', 'one scale per weight tensor')
    .option('--exclude <names>', 'node names or op types kept float', collect, [])
    .option('--json', 'print the analysis as JSON')
    .option('--report <file.html>', 'also write a self-contained HTML report (per-layer chart)');
  // Images, audio and text are read as quantize --calibrate reads them (--preprocess, ...).
  addDataOptions(command).action(async (model: string, opts: AnalyzeCliOptions) => {
      const analysis = await runAnalyze(model, opts);
      if (opts.json) process.stdout.write(`${JSON.stringify(analysisJson(analysis), null, 2)}\n`);
      else process.stdout.write(`${formatAnalysis(analysis)}\n`);
    });
}

async function runAnalyze(model: string, opts: AnalyzeCliOptions): Promise<Analysis> {
  if (!opts.calibrate) throw new UsageError('analyze needs --calibrate samples (the ranges of the quantized model come from them)');
  if (!(CALIBRATION_METHODS as readonly string[]).includes(opts.method)) throw new UsageError(`--method ${opts.method}: choose ${CALIBRATION_METHODS.join(', ')}`);
  const samples = Number(opts.samples);
  if (!(Number.isInteger(samples) && samples >= 1)) throw new UsageError(`--samples must be an integer >= 1 (got '${opts.samples}')`);
  const threads = opts.threads === undefined ? undefined : Number(opts.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads must be an integer >= 1 (got '${opts.threads}')`);
  const providers = parseProviderList(opts.providers ?? 'cpu');
  if (providers.length !== 1) throw new UsageError('--providers: the analysis times one provider');
  if (opts.report && !/\.html?$/i.test(opts.report)) throw new UsageError(`--report ${opts.report}: analyze writes HTML (name the file .html)`);
  if (!opts.eval) process.stderr.write(`${chalk.yellow.bold('warning:')} no --eval: the calibration samples serve for evaluation too, so the result may flatter itself\n`);
  const analysis = await analyzeModel(model, {
    calibrate: opts.calibrate, ...(opts.eval ? { eval: opts.eval } : {}), method: opts.method as CalibrationMethod, samples, data: dataSettings(opts),
    ...(threads ? { threads } : {}), provider: providers[0]!, reduceRange: opts.reduceRange, perTensor: opts.perTensor, exclude: opts.exclude,
    onStage: (s) => (process.stderr.isTTY ? process.stderr.write(`${chalk.dim(`${s}…`)}\n`) : undefined),
  });
  if (opts.report) writeHtmlReport(opts.report, { title: `Analysis of ${model}`, analysis: analysisJson(analysis) });
  return analysis;
}

/** The analysis without its working data, as JSON and the HTML report show it. */
export function analysisJson(a: Analysis): Omit<Analysis, 'internals'> {
  const { internals: _drop, ...rest } = a;
  return { ...rest, units: rest.units.map((u) => ({ ...u, localSqnrDb: finiteDbs(u.localSqnrDb) })) } as Omit<Analysis, 'internals'>;
}

/** Infinity (identical outputs) is written as null in JSON. */
function finiteDbs<T extends Record<string, number | undefined>>(d: T): T {
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v === Infinity ? null : v])) as T;
}
