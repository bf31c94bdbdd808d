// The sample options `quantize` (--calibrate, --eval) and `quantize bench`
// (--data) share: image preprocessing, audio windows and state, text
// tokenisation, how many samples and in what order, bad samples. One table,
// parsed into the DatasetOptions openDataset takes; plus the calibration
// table and memory options only `quantize` has.
import { dirname } from 'node:path';
import type { Command } from 'commander';
import chalk from 'chalk';
import { UsageError } from '../errors.js';
import { openDataset, type Dataset, type DatasetOptions } from '../data/dataset.js';
import { datasetOptionsFrom, type DataValues } from '../data/options.js';
import type { InputSpec } from '../data/validate.js';

export interface DataCliOptions {
  preprocess?: string;
  maxSamples?: string;
  shuffle?: boolean;
  seed?: string;
  sampleRate?: string;
  window?: string;
  hop?: string;
  audioScale?: string;
  carry?: string;
  maxLength?: string;
  pad?: boolean;
  textField?: string;
  skipBadSamples?: boolean;
}

export function addDataOptions(command: Command): Command {
  return command
    .option('--preprocess <spec>', 'images: a preset (imagenet, clip, -1..1, 0..1, 0..255) and/or settings, comma separated: 224 or 320x240, stretch|letterbox|center-crop|shortest-side, nchw|nhwc, rgb|bgr, alpha=drop|keep|255, scale=1/255, mean=a:b:c, std=a:b:c, pad=114, kernel=linear, dtype=float32 (default: the model folder\'s preprocessor_config.json)')
    .option('--max-samples <n>', 'use at most n samples')
    .option('--shuffle', 'take the samples in a shuffled order (with --seed; audio files stay whole)')
    .option('--seed <s>', 'seed for --shuffle (default 0)')
    .option('--sample-rate <hz>', 'audio: resample every file to this rate (default: each file\'s own)')
    .option('--window <n>', 'audio: samples per window (default: the input\'s fixed length, else each file whole)')
    .option('--hop <n>', 'audio: samples between window starts (default: the window)')
    .option('--audio-scale <s>', 'audio: -1..1 (default) or int16 (values times 32768)')
    .option('--carry <out:in,...>', 'streaming models: feed output `out` back as input `in` between consecutive windows of a file (zero at each file\'s start)')
    .option('--max-length <n>', 'text: tokens per sample (default: the input\'s fixed length, else tokenizer.json\'s, else 512)')
    .option('--pad', 'text: pad every sample to --max-length (default when the model\'s sequence length is fixed)')
    .option('--text-field <name>', 'text: the .jsonl field holding the text (default text)')
    .option('--skip-bad-samples', 'skip samples holding NaN or infinite values with a warning, instead of failing');
}

export function addCalibrationOptions(command: Command): Command {
  return command
    .option('--save-calibration <file.json>', 'write the calibration statistics (ranges, histograms) to a table, tied to this model by a hash of its graph')
    .option('--load-calibration <file.json>', 'take the activation ranges from a saved table instead of running the calibration samples')
    .option('--calib-memory <size>', 'memory for intermediate tensors in one calibration run, e.g. 512MiB or 2GiB (default 2GiB); more are calibrated in groups over several passes');
}

const int = (value: string | undefined, name: string, min: number): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(value.trim() !== '' && Number.isInteger(n) && n >= min)) throw new UsageError(`${name} must be an integer >= ${min} (got '${value}')`);
  return n;
};

/** The sample options of a command line, checked (a usage error, exit 2, for a bad value). */
export function dataSettings(opts: DataCliOptions, onWarning?: (message: string) => void): DatasetOptions {
  const audioScale = opts.audioScale;
  if (audioScale !== undefined && audioScale !== '-1..1' && audioScale !== 'int16') throw new UsageError(`--audio-scale must be -1..1 or int16 (got '${audioScale}')`);
  const values: DataValues = {
    ...(opts.preprocess !== undefined ? { preprocess: opts.preprocess } : {}),
    ...(opts.maxSamples !== undefined ? { maxSamples: int(opts.maxSamples, '--max-samples', 1) } : {}),
    ...(opts.shuffle ? { shuffle: true } : {}),
    ...(opts.seed !== undefined ? { seed: int(opts.seed, '--seed', 0) } : {}),
    ...(opts.sampleRate !== undefined ? { sampleRate: int(opts.sampleRate, '--sample-rate', 1) } : {}),
    ...(opts.window !== undefined ? { window: int(opts.window, '--window', 1) } : {}),
    ...(opts.hop !== undefined ? { hop: int(opts.hop, '--hop', 1) } : {}),
    ...(audioScale ? { audioScale: audioScale as '-1..1' | 'int16' } : {}),
    ...(opts.carry ? { carry: opts.carry } : {}),
    ...(opts.maxLength !== undefined ? { maxLength: int(opts.maxLength, '--max-length', 1) } : {}),
    ...(opts.pad ? { pad: true } : {}),
    ...(opts.textField ? { textField: opts.textField } : {}),
    ...(opts.skipBadSamples ? { skipBadSamples: true } : {}),
  };
  return { ...datasetOptionsFrom(values), ...(onWarning ? { onWarning } : {}) };
}

/** Opens samples for a model file and prints, once, what they are turned into. */
export function openSamples(path: string, model: string, specs: InputSpec[], data: DatasetOptions): Dataset {
  const dataset = openDataset(path, specs, { modelDir: dirname(model), ...data });
  printNotes(dataset.description);
  return dataset;
}

const printed = new Set<string>();

/** Notes on stderr (dimmed), each line once per process: calibration and evaluation often share a pipeline. */
export function printNotes(lines: readonly string[]): void {
  for (const line of lines) {
    if (printed.has(line)) continue;
    printed.add(line);
    process.stderr.write(`${chalk.dim(line)}\n`);
  }
}

export function printWarning(message: string): void {
  process.stderr.write(`${chalk.yellow.bold('warning:')} ${message}\n`);
}
