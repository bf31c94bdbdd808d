// `--dtype fp16,q8,...` over a model file or a model folder: for each float
// model and each dtype, the producer's model is saved into a private folder
// beside the output, released, loaded and run by ONNX Runtime on the check
// input (a sample, or a generated transformer input: in-vocabulary tokens,
// masks of ones, an empty KV cache), compared with the float model on the
// same input, and only then renamed into place under transformers.js's name.
// A node the runtime refuses (or whose output turns non-finite) goes back to
// float and the producer runs again, as the INT8 path does.
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { UsageError } from '../../errors.js';
import { loadModel } from '../../onnx/load.js';
import { saveModel } from '../../onnx/save.js';
import { releaseMemory } from '../../release-memory.js';
import { firstSample, openDataset } from '../../data/dataset.js';
import { toFeeds } from '../../data/to-ort.js';
import { generatedFeeds } from '../../data/generated-feeds.js';
import { completeTransformerInputs, vocabFromModel } from '../../data/transformer-feeds.js';
import { cosineSimilarity, toFloat32 } from '../../bench/metrics.js';
import { inputSpecs } from '../prepare.js';
import { withFallbacks } from '../quantize-model.js';
import { findRuntimeProblem } from '../runtime-check.js';
import type { QuantizeReport } from '../report.js';
import { configVocabSize, openModelRepo, variantName } from './model-repo.js';
import type { DtypeEntry, DtypeSettings } from './types.js';

export interface ProduceOptions {
  settings: DtypeSettings;
  exclude?: string[];
  /** Samples to check (and measure) on; without them a generated input. */
  checkSamples?: string;
  force?: boolean;
  externalData?: boolean;
  /** Called before each output is made (progress). */
  onStart?: (model: string, dtype: string) => void;
}

export interface VariantReport {
  input: string;
  dtype: string;
  output: string;
  /** Bytes of the output (with its external data). */
  bytes: number;
  inputBytes: number;
  seconds: number;
  summary: string;
  notes: string[];
  fallbacks: Array<{ node: string; reason: string }>;
  /** Against the float model on the check input: the lowest cosine over float outputs, and the first output's. */
  fidelity?: { output: string; cosine: number; minCosine: number; top1Agreement?: number };
  checkInput: string;
}

/** transformers.js's name for a model's external data (model_q4.onnx → model_q4.onnx_data), which the browser fetches by name. */
export const externalDataName = (output: string): string => `${basename(output)}_data`;

/** The model's bytes with its external data, under transformers.js's name (model.onnx_data) or this tool's default (model.onnx.data). */
function fileBytes(file: string): number {
  const sides = [join(dirname(file), externalDataName(file)), `${file}.data`];
  return statSync(file).size + sides.filter((f) => existsSync(f)).reduce((a, f) => a + statSync(f).size, 0);
}

/** The check input: the first sample, or one generated to fit (a transformer input where the model is one). */
async function checkFeeds(file: string, opts: ProduceOptions, configVocab: number | undefined): Promise<{ feeds?: Record<string, ort.Tensor>; source: string }> {
  const model = loadModel(file);
  try {
    const specs = inputSpecs(model.proto);
    const names = specs.map((s) => s.name);
    const samples = opts.settings.calibrate ?? opts.checkSamples;
    if (samples) {
      const first = await firstSample(openDataset(samples, specs, { modelDir: dirname(file) }));
      // Token ids alone (a text calibration set) are completed for a transformer: mask, positions, empty cache.
      if (first) return { feeds: toFeeds(completeTransformerInputs(specs, first.inputs) ?? first.inputs, names), source: first.source };
    }
    // The smaller of config.json's vocabulary and the embedding table's rows: both must accept the ids.
    const vocabs = [configVocab, vocabFromModel(model.proto)].filter((v): v is number => v !== undefined);
    try {
      return { feeds: generatedFeeds(specs, { vocabSize: vocabs.length ? Math.min(...vocabs) : undefined }), source: 'generated input' };
    } catch (err) {
      return { source: `none (no input can be generated: ${(err as Error).message}); checked to load only` };
    }
  } finally {
    model.close();
  }
}

async function fidelity(original: string, variant: string, feeds: Record<string, ort.Tensor>): Promise<VariantReport['fidelity']> {
  const run = async (file: string) => {
    const s = await ort.InferenceSession.create(file, { logSeverityLevel: 3 });
    try {
      return await s.run(feeds);
    } finally {
      await s.release();
    }
  };
  const a = await run(original);
  const b = await run(variant);
  let first: VariantReport['fidelity'];
  let minCosine = 1;
  for (const [name, ta] of Object.entries(a)) {
    const tb = b[name];
    if (!tb || !['float32', 'float16'].includes(ta.type) || ta.size === 0) continue;
    const x = toFloat32(ta.data as Float32Array, ta.type);
    const y = toFloat32(tb.data as Float32Array, tb.type);
    const cosine = cosineSimilarity(x, y);
    minCosine = Math.min(minCosine, cosine);
    if (!first) {
      first = { output: name, cosine, minCosine: cosine };
      // Language-model logits: how often the most likely next token is the same.
      const v = ta.dims[ta.dims.length - 1] ?? 1;
      if (/logits/.test(name) && v > 1) {
        let agree = 0;
        const rows = x.length / v;
        for (let r = 0; r < rows; r++) {
          let ia = 0, ib = 0;
          for (let j = 1; j < v; j++) {
            if (x[r * v + j]! > x[r * v + ia]!) ia = j;
            if (y[r * v + j]! > y[r * v + ib]!) ib = j;
          }
          if (ia === ib) agree++;
        }
        first.top1Agreement = agree / rows;
      }
    }
  }
  if (first) first.minCosine = minCosine;
  return first;
}

/** Writes one variant of one model. */
export async function produceVariant(input: string, entry: DtypeEntry, outDir: string, opts: ProduceOptions,
  check: { feeds?: Record<string, ort.Tensor>; source: string }): Promise<VariantReport> {
  const output = join(outDir, variantName(input, entry.suffix));
  if (existsSync(output) && !opts.force) throw new UsageError(`${output} exists: pass --force to overwrite it`);
  const started = performance.now();
  const work = mkdtempSync(join(outDir, `.${basename(output)}.work-`));
  try {
    const staged = join(work, basename(output));
    const stage = async (exclude: string[]) => {
      const model = loadModel(input);
      try {
        const result = await entry.produce({ model, settings: opts.settings, exclude, feeds: check.feeds });
        const saved = saveModel(result.proto, staged, { source: model, externalData: opts.externalData ? true : 'auto', externalDataName: externalDataName(output) });
        // withFallbacks records the nodes it left float in report.fallbacks.
        return { result, saved, report: { fallbacks: [] } as unknown as QuantizeReport };
      } finally {
        model.close();
      }
    };
    const attempt = await withFallbacks(input, { exclude: opts.exclude }, async (exclude) => {
      const a = await stage(exclude);
      await releaseMemory();
      return { result: a, problem: await findRuntimeProblem(staged, staged, check.feeds, a.result.origin, { prepack: entry.checkPrepacked }) };
    });
    const fid = check.feeds ? await fidelity(input, staged, check.feeds) : undefined;
    if (attempt.saved.externalFile) renameSync(attempt.saved.externalFile, join(outDir, basename(attempt.saved.externalFile)));
    renameSync(staged, output);
    return {
      input, dtype: entry.name, output, bytes: fileBytes(output), inputBytes: fileBytes(input),
      seconds: (performance.now() - started) / 1000, summary: attempt.result.summary, notes: attempt.result.notes,
      fallbacks: attempt.report.fallbacks, fidelity: fid, checkInput: check.source,
    };
  } finally {
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Every requested dtype of every float model at `path` (a file or a model
 * folder). A variant that fails is reported with its error and the rest go on.
 */
export async function produceVariants(path: string, entries: DtypeEntry[], opts: ProduceOptions): Promise<Array<VariantReport | { input: string; dtype: string; error: Error }>> {
  const repo = openModelRepo(path);
  const results: Array<VariantReport | { input: string; dtype: string; error: Error }> = [];
  for (const input of repo.models) {
    const check = await checkFeeds(input, opts, configVocabSize(repo.config));
    for (const entry of entries) {
      opts.onStart?.(input, entry.name);
      try {
        results.push(await produceVariant(input, entry, repo.outDir, opts, check));
      } catch (err) {
        results.push({ input, dtype: entry.name, error: err as Error });
      }
    }
  }
  return results;
}
