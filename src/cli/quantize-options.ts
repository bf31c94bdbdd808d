// The quantize command's options: the commander declarations, and the flags
// the user gave as typed per-model settings (ModelOptions: what a config file
// holds too) plus the batch's own options. Only flags actually given count
// as settings, so a config file's values are not overridden by defaults.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { OPTION_TYPES, parseOptionValue, type ModelOptionKey, type ModelOptions } from '../batch/model-options.js';
import { addBenchOptions } from './bench.js';
import { addCalibrationOptions, addDataOptions } from './data-options.js';
import { parseShard, type Shard } from '../batch/shard.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export function addQuantizeOptions(program: Command): void {
  program
    .option('--int8', 'INT8 quantization (the default): static with --calibrate, dynamic without, --weight-only on request')
    .option('-o, --output <file>', 'output path, for one model (default: <model>.int8.onnx beside the input)')
    .option('--out-dir <folder>', 'write the outputs into this folder, mirroring the folders the models were found in (created when missing)')
    .option('-r, --recursive', 'quantize every .onnx file below the folders named')
    .option('--name <pattern>', 'output file name, {name} being the model\'s name without .onnx (default {name}.int8.onnx)')
    .option('--calibrate <samples>', 'calibration samples for static INT8: a folder (searched recursively) of .npz, .json/.ndjson, images (with --preprocess), .wav or .txt/.jsonl files, or a .npy whose first axis is samples; without them: dynamic INT8')
    .option('--weight-only', 'int8 weights only, float activations and math: the smallest file, no calibration needed')
    .option('--method <name>', 'calibration method: minmax (default), percentile (clips the rarest values) or entropy (KL-optimal clipping, TensorRT\'s procedure)')
    .option('--percentile <p>', 'for --method percentile: the central share of values kept (default 99.999)')
    .option('--per-tensor', 'one scale per weight tensor instead of per output channel')
    .option('--no-reduce-range', 'full 8-bit weights; by default weights use 7 bits ([-64, 64]) because ONNX Runtime\'s u8×s8 kernels saturate on x86 CPUs without VNNI')
    .option('--exclude <names>', 'node names or op types to keep in float (comma separated, repeatable)', collect)
    .option('--min-intensity <n>', 'multiply-adds per activation element below which a Conv/MatMul/Gemm keeps only int8 weights (default 16; 0 quantizes all)')
    .option('--no-bench', 'skip the comparison with the original after writing')
    .option('--eval <samples>', 'samples for the comparison (default: the calibration samples)')
    .option('--labels <file>', 'labels.json mapping sample file name to class index (default: labels.json in the eval folder)')
    .option('--threads <n>', 'intra-op threads for the latency measurement (default: ONNX Runtime\'s)')
    .option('--max-accuracy-drop <x>', 'exit 3 if accuracy drops more than x points (labels), or top-1 agreement/cosine falls by more than x/100')
    .option('--external-data', 'save weights to a side file <output>.data')
    .option('--json', 'print the result as JSON: one object for one model file; NDJSON for several (one line per model as it finishes, then a summary)')
    .option('--json-file <file>', 'also write the NDJSON results to this file (stdout stays human-readable)')
    .option('--force', 'overwrite an existing output file')
    .option('--skip-existing', 'leave an output alone when it was made from the same source with the same settings (recorded in its metadata); redo a stale one')
    .option('-j, --jobs <n>', 'models quantized at once (default: from the CPUs and free memory); benchmarks always run alone')
    .option('--config <file>', 'settings from a file (.json, .mjs, .yaml): inputs, defaults, per-model overrides by glob; flags win over it')
    .option('--shard <K/N>', 'quantize only slice K of N of the model list (by a hash of each path: stable when models are added); auto: from CI variables')
    .option('-q, --quiet', 'print only errors and the summary');
  // The benchmark run after writing takes the bench command's own options too, and both take the sample options.
  addBenchOptions(program);
  addDataOptions(addCalibrationOptions(program));
}

/** The commander option names that are not per-model settings (or are spelled otherwise). */
const FLAG_TO_SETTING: Record<string, ModelOptionKey | null> = { weightOnly: 'mode', int8: null };

/** The per-model settings the user gave as flags, parsed and checked (UsageError naming the flag). */
export function givenSettings(command: Command): ModelOptions {
  const opts = command.opts() as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [flagKey, raw] of Object.entries(opts)) {
    const source = command.getOptionValueSource(flagKey);
    if (source !== 'cli' && source !== 'env') continue;
    const key = flagKey in FLAG_TO_SETTING ? FLAG_TO_SETTING[flagKey] : (flagKey as ModelOptionKey);
    if (!key || !(key in OPTION_TYPES)) continue;
    if (flagKey === 'weightOnly') {
      if (raw) out.mode = 'weight-only';
      continue;
    }
    out[key] = parseOptionValue(key, raw);
  }
  return out as ModelOptions;
}

/** The batch's own options, as the command line gave them. */
export interface QuantizeBatchFlags {
  output?: string;
  outDir?: string;
  recursive?: boolean;
  json?: boolean;
  jsonFile?: string;
  force?: boolean;
  skipExisting?: boolean;
  report?: string;
  jobs?: number;
  config?: string;
  shard?: Shard;
  quiet?: boolean;
}

export function batchFlags(command: Command): QuantizeBatchFlags {
  const o = command.opts() as Omit<QuantizeBatchFlags, 'jobs' | 'shard'> & { jobs?: string; shard?: string };
  if (o.outDir !== undefined && o.output !== undefined) throw new UsageError('-o names the output file; --out-dir the folder for several: give one of them');
  if (o.force && o.skipExisting) throw new UsageError('--force redoes every output, --skip-existing only stale ones: give one of them');
  let jobs: number | undefined;
  if (o.jobs !== undefined) {
    jobs = Number(o.jobs);
    if (!(o.jobs.trim() !== '' && Number.isInteger(jobs) && jobs >= 1)) throw new UsageError(`--jobs must be an integer >= 1 (got '${o.jobs}')`);
  }
  return { ...o, jobs, shard: o.shard === undefined ? undefined : parseShard(o.shard) };
}
