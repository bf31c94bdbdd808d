// `quantize model.onnx --dtype fp16,q8` and `quantize model-folder/ --dtype ...`:
// transformers.js's variants, written under its names (model_fp16.onnx,
// model_quantized.onnx, ...) beside the model, or into a model folder's onnx/.
// The quantize command calls in here when --dtype is given.
import chalk from 'chalk';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { parseDtypeList, registeredDtypes } from '../quant/dtypes/registry.js';
import { produceVariants, type VariantReport } from '../quant/dtypes/produce-variants.js';
import type { DtypeSettings } from '../quant/dtypes/types.js';
import { heading } from './format.js';
import { addNBitsOptions, nbitsSettings, refuseNBitsFlags, type NBitsCliOptions } from './nbits-options.js';
import { printError } from './print-error.js';

interface DtypeCliOptions {
  dtype?: string[];
  keepIoTypes: boolean;
  fp16Target: string;
  output?: string;
  outDir?: string;
  recursive?: boolean;
  calibrate?: string;
  eval?: string;
  exclude?: string[];
  perTensor?: boolean;
  reduceRange?: boolean;
  force?: boolean;
  externalData?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export function addDtypeOptions(program: Command): void {
  program
    .option('--dtype <names>', `transformers.js variants to write (comma separated): ${registeredDtypes().map((e) => e.name).join(', ')}; a folder is a model repository (its onnx/ files)`, collect)
    .option('--no-keep-io-types', 'fp16: float16 graph inputs and outputs (default: float32 ones, as transformers.js expects)')
    .addOption(new Option('--fp16-target <target>', 'fp16: portable (float16 math wherever ONNX allows: for GPUs) or cpu (float32 math where ONNX Runtime\'s CPU has no float16 kernel)').choices(['portable', 'cpu']).default('portable'));
  addNBitsOptions(program);
}

export function dtypeRequested(program: Command): boolean {
  return (program.opts() as DtypeCliOptions).dtype !== undefined;
}

export async function runDtypeCommand(paths: string[], program: Command): Promise<void> {
  const opts = program.opts() as DtypeCliOptions;
  const entries = parseDtypeList(opts.dtype ?? []);
  if (opts.output) throw new UsageError('-o does not apply to --dtype: each variant is named as transformers.js expects (model_fp16.onnx...), beside the model or in its folder\'s onnx/');
  if (opts.outDir) throw new UsageError('--out-dir does not apply to --dtype: the variants go beside the model (or into the model folder\'s onnx/), where transformers.js looks for them');
  refuseNBitsFlags(program, entries.map((e) => e.name));
  const nbits = nbitsSettings(opts as NBitsCliOptions);
  const settings: DtypeSettings = {
    keepIoTypes: opts.keepIoTypes, fp16Target: opts.fp16Target as DtypeSettings['fp16Target'],
    reduceRange: opts.reduceRange ?? true, perTensor: opts.perTensor ?? false, calibrate: opts.calibrate,
    blockSize: nbits.blockSize, symmetric: nbits.symmetric, accuracyLevel: nbits.accuracyLevel, extra: { nbits },
  };
  const all: unknown[] = [];
  let exitCode = 0;
  for (const path of paths) {
    let results;
    try {
      results = await produceVariants(path, entries, {
        settings, exclude: opts.exclude, checkSamples: opts.eval, force: opts.force, externalData: opts.externalData,
        onStart: (model, dtype) => { if (process.stderr.isTTY) process.stderr.write(chalk.dim(`${dtype}: ${model}\n`)); },
      });
    } catch (err) {
      exitCode = Math.max(exitCode, printError(err));
      all.push({ input: path, error: (err as Error).message });
      continue;
    }
    for (const r of results) {
      if ('error' in r) {
        exitCode = Math.max(exitCode, printError(r.error));
        all.push({ input: r.input, dtype: r.dtype, error: r.error.message });
      } else {
        all.push(r);
        if (!opts.json) process.stdout.write(`${formatVariant(r)}\n`);
        for (const f of r.fallbacks) process.stderr.write(`${chalk.yellow.bold('warning:')} ${r.dtype}: node ${f.node} left in float: ${f.reason}\n`);
      }
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
  if (exitCode) process.exitCode = exitCode;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

export function formatVariant(r: VariantReport): string {
  const lines = [`${heading(r.dtype)} ${r.output}  ${mb(r.bytes)} (${(r.bytes / r.inputBytes).toFixed(2)}× the float model), ${r.seconds.toFixed(1)} s`];
  lines.push(`  ${r.summary}`);
  if (r.fidelity) {
    const f = r.fidelity;
    lines.push(`  against the float model (${r.checkInput}): ${f.output} cosine ${f.cosine.toFixed(6)}` +
      (f.top1Agreement !== undefined ? `, same next token at ${(f.top1Agreement * 100).toFixed(1)}% of positions` : '') +
      (f.minCosine < f.cosine ? `, lowest output cosine ${f.minCosine.toFixed(6)}` : ''));
  } else {
    lines.push(chalk.dim(`  checked to load only (${r.checkInput})`));
  }
  for (const n of r.notes) lines.push(chalk.dim(`  note: ${n}`));
  return lines.join('\n');
}
