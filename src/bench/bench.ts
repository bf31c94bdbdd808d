// `quantize bench`'s library function: the original and the quantized model
// on every execution provider that can start here (or those asked for):
// fidelity and accuracy on the samples, interleaved latency (with a batch-size
// sweep and cost figures if asked), memory per model in a child process each,
// which provider ran which nodes, and the CI gates. The result is one plain
// object (BenchReport), documented by schema/bench-report.schema.json, that the
// terminal table, Markdown and JSON are written from.
import { physicalCores } from './physical-cores.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { RuntimeFailure } from '../errors.js';
import { loadModel } from '../onnx/load.js';
import { compareModels, externalDataFiles, type AccuracyResult, type BatchLatency, type CompareResult, type LatencyResult,
  type ModelFileInfo, type OutputFidelity, type SampleSource } from './compare.js';
import { costRow, type CostRow } from './cost.js';
import { gateChecks, type GateCheck, type GateOptions } from './gates.js';
import { LATENCY_DEFAULTS, type LatencyOptions } from './latency.js';
import { measureModelMemory, type MemoryResult } from './memory.js';
import type { CustomMetric, CustomMetricResult } from './metric-hook.js';
import { defaultProviderOrder, discoverProviders, type ProviderStatus } from './providers.js';
import { fidelityWarnings } from './warnings.js';

export const BENCH_SCHEMA_ID = 'onnx-quantize/bench-report';
export const BENCH_SCHEMA_VERSION = 1;

export interface BenchOptions {
  /** the reference (float) model */
  original: string;
  /** the quantized model */
  quantized: string;
  /** samples both models run on */
  dataset: SampleSource;
  /** where the samples came from, for the report (a path, or 'generated') */
  dataSource?: string;
  /** true classes by sample file name (see compareModels) */
  labels?: ReadonlyMap<string, number | readonly number[]>;
  /** the labels file, for the report */
  labelsFile?: string;
  /** providers to bench (default: every provider that starts here, CPU first) */
  providers?: readonly string[];
  /** the outcome of discoverProviders, if already known (skips the probe) */
  providerStatus?: readonly ProviderStatus[];
  /** intra-op threads (default: ONNX Runtime's, one per physical core) */
  threads?: number;
  /** inferences per run for the main latency measurement (see compareModels) */
  batch?: number;
  /** batch sizes to sweep */
  batchSizes?: readonly number[];
  /** price of the machine per hour: adds cost per million inferences */
  pricePerHour?: number;
  latency?: LatencyOptions;
  metric?: CustomMetric;
  /** memory measurement in child processes (default on); false to skip */
  memory?: false | { runs?: number; warmupRuns?: number; placement?: boolean };
  gates?: GateOptions;
  onProgress?: (event: BenchProgress) => void;
}

export type BenchProgress =
  | { stage: 'probe' }
  | { stage: 'compare'; provider: string; done: number; total: number | undefined }
  | { stage: 'memory'; provider: string; model: 'original' | 'quantized' };

export interface ProviderBench {
  name: string;
  /** ran: measured; skipped: could not start here; failed: started but could not load or run the models */
  status: 'ran' | 'skipped' | 'failed';
  /** whether this onnxruntime-node build lists the provider */
  inBuild: boolean;
  /** whether its libraries ship in the npm package (null when not in the build) */
  bundled: boolean | null;
  /** why it was skipped or failed: the runtime's message, one line */
  reason?: string;
  /** what to do about it */
  hint?: string;
  /** samples run (status 'ran') */
  samples?: number;
  outputs?: OutputFidelity[];
  accuracy?: AccuracyResult;
  accuracySkipped?: string;
  custom?: CustomMetricResult;
  latency?: LatencyResult;
  batches?: BatchLatency[];
  /** cost per million inferences at each measured batch size (with pricePerHour) */
  cost?: CostRow[];
  /** memory per model, each measured in its own child process */
  memory?: { original: MemoryResult; quantized: MemoryResult };
  /** why memory is absent */
  memorySkipped?: string;
}

export interface BenchReport {
  schema: typeof BENCH_SCHEMA_ID;
  schemaVersion: typeof BENCH_SCHEMA_VERSION;
  createdAt: string;
  tool: { name: string; version: string };
  runtime: { name: 'onnxruntime-node'; version: string };
  /** physicalCores: ONNX Runtime's default intra-op thread count (null when it cannot be read) */
  host: { platform: string; arch: string; cpu: string; logicalCpus: number; physicalCores?: number | null; node: string };
  original: ModelFileInfo;
  quantized: ModelFileInfo;
  /** quantized.bytes / original.bytes */
  sizeRatio: number;
  data: { source: string | null; samples: number | null; labels: string | null };
  settings: {
    /** intra-op threads; null = ONNX Runtime's default (one per physical core) */
    threads: number | null;
    /** the batch asked for with --batch; null = each sample as it is */
    batch: number | null;
    batchSizes: number[];
    pricePerHour: number | null;
    latency: { warmupRuns: number; minRuns: number; minTimeMs: number };
    memoryRuns: number | null;
  };
  providers: ProviderBench[];
  gates: GateCheck[];
  warnings: string[];
}

/**
 * Benchmarks the two models on each provider.
 * @throws ModelFormatError for a file that is not a model; RuntimeFailure when
 *   the models cannot be compared (different inputs or outputs) or no provider
 *   could run them; SampleMismatchError for samples that do not fit;
 *   UsageError for a batch size the models do not allow
 */
export async function benchModels(options: BenchOptions): Promise<BenchReport> {
  // Both files must be models before anything is probed or run.
  const original = checkedFileInfo(options.original);
  const quantized = checkedFileInfo(options.quantized);

  options.onProgress?.({ stage: 'probe' });
  const wanted = options.providers ?? defaultProviderOrder();
  const statuses = options.providerStatus
    ? wanted.map((n) => options.providerStatus!.find((s) => s.name === n) ?? { name: n, inBuild: false, bundled: null, available: false, reason: 'not probed' })
    : await discoverProviders(wanted);

  const providers: ProviderBench[] = [];
  const gates: GateCheck[] = [];
  const warnings: string[] = [];
  let samples: number | null = null;
  for (const status of statuses) {
    const entry: ProviderBench = { name: status.name, status: 'skipped', inBuild: status.inBuild, bundled: status.bundled };
    providers.push(entry);
    if (!status.available) {
      entry.reason = status.reason ?? 'did not start';
      if (status.hint) entry.hint = status.hint;
      continue;
    }
    let comparison: CompareResult;
    let latencyFeeds: Record<string, ort.Tensor> | undefined;
    try {
      comparison = await compareModels({
        original: options.original,
        quantized: options.quantized,
        dataset: options.dataset,
        ...(options.labels ? { labels: options.labels } : {}),
        session: { executionProviders: [status.name], ...(options.threads ? { intraOpNumThreads: options.threads } : {}) },
        ...(options.latency ? { latency: options.latency } : {}),
        ...(options.batch !== undefined ? { batch: options.batch } : {}),
        ...(options.batchSizes ? { batchSizes: options.batchSizes } : {}),
        ...(options.metric ? { metric: options.metric } : {}),
        onProgress: (done, total) => options.onProgress?.({ stage: 'compare', provider: status.name, done, total }),
        onLatencyFeeds: (feeds) => {
          latencyFeeds = feeds;
        },
      });
    } catch (err) {
      // A provider other than CPU that started on the probe model but cannot
      // take these models is reported, not fatal; everything else is.
      if (status.name !== 'cpu' && err instanceof RuntimeFailure && /ONNX Runtime (cannot load|failed on)/.test(err.message)) {
        entry.status = 'failed';
        entry.reason = err.message.split('\n')[0]!;
        continue;
      }
      throw err;
    }
    entry.status = 'ran';
    samples = comparison.samples;
    entry.samples = comparison.samples;
    entry.outputs = comparison.outputs;
    if (comparison.accuracy) entry.accuracy = comparison.accuracy;
    if (comparison.accuracySkipped) entry.accuracySkipped = comparison.accuracySkipped;
    if (comparison.custom) entry.custom = comparison.custom;
    entry.latency = comparison.latency;
    if (comparison.batches) entry.batches = comparison.batches;
    if (options.pricePerHour !== undefined) entry.cost = costRows(comparison, options.pricePerHour);
    for (const w of fidelityWarnings(comparison)) warnings.push(`${status.name}: ${w}`);

    if (options.memory === false) {
      entry.memorySkipped = 'not asked for';
    } else if (latencyFeeds) {
      const measured = await measureBoth(options, status.name, latencyFeeds);
      if ('skipped' in measured) {
        entry.memorySkipped = measured.skipped;
        warnings.push(`${status.name}: memory not measured: ${measured.skipped}`);
      } else {
        entry.memory = measured;
        const elsewhere = (measured.quantized.placement ?? []).filter((p) => !providerMatches(status.name, p.provider));
        if (status.name !== 'cpu' && elsewhere.length) {
          warnings.push(`${status.name}: the quantized model ran ${elsewhere.map((p) => `${p.nodes} node${p.nodes === 1 ? '' : 's'} on ${p.provider}`).join(', ')} ` +
            `(ops ${status.name} has no kernel for fall back to them)`);
        }
      }
    }
    if (options.gates) gates.push(...gateChecks(comparison, options.gates, status.name));
  }

  if (!providers.some((p) => p.status === 'ran')) {
    const why = providers.map((p) => `${p.name}: ${p.reason ?? p.status}${p.hint ? ` (${p.hint})` : ''}`).join('; ');
    throw new RuntimeFailure(`no execution provider could run the models: ${why}`);
  }
  if (options.dataSource === 'generated') {
    warnings.push('no --data: the models ran on one generated input, so fidelity and accuracy are indicative only; latency and memory are real');
  }

  const lat = options.latency ?? {};
  return {
    schema: BENCH_SCHEMA_ID,
    schemaVersion: BENCH_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    tool: { name: 'onnx-quantize', version: toolVersion() },
    runtime: { name: 'onnxruntime-node', version: ort.env.versions.node ?? ort.env.versions.common },
    host: {
      platform: process.platform,
      arch: process.arch,
      cpu: cpus()[0]?.model?.trim() ?? 'unknown',
      logicalCpus: cpus().length,
      physicalCores: physicalCores(),
      node: process.version,
    },
    original,
    quantized,
    sizeRatio: quantized.bytes / original.bytes,
    data: { source: options.dataSource ?? null, samples, labels: options.labelsFile ?? null },
    settings: {
      threads: options.threads ?? null,
      batch: options.batch ?? null,
      batchSizes: [...(options.batchSizes ?? [])],
      pricePerHour: options.pricePerHour ?? null,
      latency: {
        warmupRuns: lat.warmupRuns ?? LATENCY_DEFAULTS.warmupRuns,
        minRuns: lat.minRuns ?? LATENCY_DEFAULTS.minRuns,
        minTimeMs: lat.minTimeMs ?? LATENCY_DEFAULTS.minTimeMs,
      },
      memoryRuns: options.memory === false ? null : options.memory?.runs ?? 10,
    },
    providers,
    gates,
    warnings,
  };
}

/**
 * Both models' memory, each in its own child process, on the feeds latency
 * was measured on. A failure there leaves the comparison standing: the
 * reason is returned instead.
 */
async function measureBoth(options: BenchOptions, provider: string, feeds: Record<string, ort.Tensor>):
  Promise<{ original: MemoryResult; quantized: MemoryResult } | { skipped: string }> {
  const m = options.memory || {};
  const memoryOptions = {
    providers: [provider],
    threads: options.threads ?? null,
    ...(m.runs !== undefined ? { runs: m.runs } : {}),
    ...(m.warmupRuns !== undefined ? { warmupRuns: m.warmupRuns } : {}),
    ...(m.placement !== undefined ? { placement: m.placement } : {}),
  };
  try {
    options.onProgress?.({ stage: 'memory', provider, model: 'original' });
    const original = await measureModelMemory(options.original, feeds, memoryOptions);
    options.onProgress?.({ stage: 'memory', provider, model: 'quantized' });
    const quantized = await measureModelMemory(options.quantized, feeds, memoryOptions);
    return { original, quantized };
  } catch (err) {
    if (err instanceof RuntimeFailure) return { skipped: err.message };
    throw err;
  }
}

/** The file's size with its external data; ModelFormatError when it is not a model. */
function checkedFileInfo(file: string): ModelFileInfo {
  const model = loadModel(file);
  try {
    let bytes = model.fileSize;
    for (const side of externalDataFiles(model)) bytes += statSync(side).size;
    return { file, bytes };
  } finally {
    model.close();
  }
}

/** Cost rows for the main measurement and every measured batch size of the sweep (each batch size once). */
function costRows(c: CompareResult, pricePerHour: number): CostRow[] {
  const rows = [costRow(c.latency.batch, c.latency.original.throughput, c.latency.quantized.throughput, pricePerHour)];
  for (const b of c.batches ?? []) {
    if (!b.original || !b.quantized || rows.some((r) => r.batch === b.batch)) continue;
    rows.push(costRow(b.batch, b.original.throughput, b.quantized.throughput, pricePerHour));
  }
  return rows.sort((a, b) => a.batch - b.batch);
}

/** Whether ORT's provider name (CUDAExecutionProvider) is the one asked for by its short name (cuda). */
export function providerMatches(short: string, ortName: string): boolean {
  const n = ortName.toLowerCase().replace(/executionprovider$/, '');
  const aliases: Record<string, string[]> = { cuda: ['cuda'], tensorrt: ['tensorrt'], webgpu: ['webgpu', 'js'], dml: ['dml'], cpu: ['cpu'] };
  return (aliases[short] ?? [short]).includes(n);
}

let version: string | undefined;
/** This package's version, from the package.json above the running module. */
export function toolVersion(): string {
  if (version) return version;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === 'onnx-quantize' && json.version) return (version = json.version);
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return (version = 'unknown');
    dir = up;
  }
}
