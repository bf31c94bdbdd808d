// Never destroyed, never slower than the original, by default: after the
// quantized model is written (to a private folder), it is measured on a few
// samples: fidelity against the original (worst output cosine) and latency on
// the CPU provider (interleaved with the original, paired bootstrap). When it
// misses the fidelity threshold or is measurably slower, the alternatives it
// can produce cheaply are written and measured too: static with the units the
// one-shot analysis blames kept float (for accuracy: the costliest until the
// rest fits; for speed: those the profile shows slower quantized), and
// weight-only. The best is renamed into place, with the reason and every
// measurement. One still far from the original is an error (exit 3) unless
// `force`. The per-model job runs guardOutput as the step after writing.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GateError, QuantizeError } from '../errors.js';
import { loadModel } from '../onnx/load.js';
import { inputSpecs } from '../quant/prepare.js';
import { quantizeFile, type QuantizeFileOptions, type QuantizeFileResult } from '../quant/quantize-file.js';
import { generatedFeeds } from '../data/generated-feeds.js';
import type { DatasetOptions } from '../data/dataset.js';
import { analyzeModel } from './analyze.js';
import { Judge } from './judge.js';
import { readEvalSamples, type EvalSample } from './samples.js';

export interface GuardOptions {
  /** measure and fall back (default true); false: measure and keep the first result (--no-fallback) */
  fallback?: boolean;
  /** write a model still far from the original anyway (--force) */
  force?: boolean;
  /** samples measured (default 8), from these (default: the calibration samples; else a generated input) */
  samples?: number;
  evalPath?: string;
  threads?: number;
  /** worst-output cosine below which the model misses the fidelity threshold (default 0.99) */
  minCosine?: number;
  /** worst-output cosine below which the model is far from the original: an error (default 0.95) */
  farCosine?: number;
  onStage?: (stage: string) => void;
}

export interface GuardMeasurement {
  candidate: 'as asked' | 'blamed units float' | 'weight-only';
  mode: string;
  cosine: number;
  speedup: number;
  speedupInterval: { low: number; high: number };
  quantizedMs: number;
  floatMs: number;
  bytes: number;
  /** units kept float (blamed candidate) */
  floatUnits?: string[];
}

export interface GuardReport {
  measured: GuardMeasurement[];
  chosen: GuardMeasurement['candidate'];
  /** why the first result was replaced, or kept */
  reason: string;
  samples: number;
  generatedInput: boolean;
  far: boolean;
}

/** Writes a model (quantizeFile, or the batch runner's worker doing the same). */
export type WriteModel = (input: string, output: string, options: QuantizeFileOptions) => Promise<QuantizeFileResult>;

/**
 * Measures the model written at `output` (`first`: what quantizeFile
 * reported) and, when it is slower or misses the fidelity threshold, writes
 * the alternatives beside it (in a private folder) with `write`, measures
 * them and renames the best over `output`. A result still far from the
 * original is removed and GateError thrown, unless `force`.
 */
export async function guardOutput(input: string, output: string, first: QuantizeFileResult, opts: QuantizeFileOptions, guard: GuardOptions = {},
  write: WriteModel = quantizeFile): Promise<{ result: QuantizeFileResult; guard: GuardReport }> {
  const minCosine = guard.minCosine ?? 0.99;
  const farCosine = guard.farCosine ?? 0.95;
  let work: string | undefined;
  const place = (name: string) => {
    work ??= mkdtempSync(join(dirname(output), `.${basename(output)}.guard-`));
    mkdirSync(join(work, name));
    return join(work, name, basename(output));
  };
  const { samples, generated } = await guardSamples(input, guard.evalPath ?? opts.calibrate ?? opts.checkSamples, guard.samples ?? 8, opts.data);
  const judge = await Judge.create(input, input, samples, { ...(guard.threads ? { threads: guard.threads } : {}), provider: 'cpu', latency: { minTimeMs: 400, minRuns: 10 } });
  const results: Array<{ m: GuardMeasurement; result: QuantizeFileResult; file: string }> = [];
  const measure = async (candidate: GuardMeasurement['candidate'], result: QuantizeFileResult, file: string, floatUnits?: string[]) => {
    const v = await judge.judge(file);
    const m: GuardMeasurement = { candidate, mode: result.report.mode, cosine: v.cosine, speedup: v.speedup, speedupInterval: v.speedupInterval,
      quantizedMs: v.quantizedMs, floatMs: v.floatMs, bytes: v.bytes, ...(floatUnits ? { floatUnits } : {}) };
    results.push({ m, result, file });
    return m;
  };
  try {
    guard.onStage?.('measuring what was written');
    const m0 = await measure('as asked', first, output);
    const slower = m0.speedupInterval.high < 1;
    const infidel = m0.cosine < minCosine;
    const why = [infidel ? `cosine ${m0.cosine.toFixed(5)} < ${minCosine}` : '',
      slower ? `measured slower than the original (${m0.speedup.toFixed(2)}× its speed, 95% CI up to ${m0.speedupInterval.high.toFixed(2)}×)` : ''].filter(Boolean).join(' and ');
    let reason = `kept: ${describe(m0)}`;
    let best = results[0]!;
    if ((slower || infidel) && guard.fallback !== false && first.report.mode !== 'weight-only') {
      // The alternatives must not overwrite a --save-calibration table with their smaller plans' ranges.
      const { saveCalibration: _saved, ...alternative } = opts;
      if (first.report.mode === 'static' && opts.calibrate) {
        guard.onStage?.('one-shot analysis: which units to keep float');
        const blamed = await blamedUnits(input, opts, guard, slower, infidel);
        if (blamed.length) {
          const file = place('blamed');
          try {
            const r = await write(input, file, { ...alternative, exclude: [...(opts.exclude ?? []), ...blamed] });
            await measure('blamed units float', r, file, blamed);
          } catch (err) {
            if (!(err instanceof QuantizeError)) throw err; // nothing left to quantize, say: the other alternative remains
          }
        }
      }
      const file = place('weight-only');
      const r = await write(input, file, { ...alternative, weightOnly: true });
      await measure('weight-only', r, file);
      // Fidelity first, then not slower, then the fastest.
      const score = (m: GuardMeasurement) => [m.cosine >= minCosine ? 1 : 0, m.speedupInterval.high >= 1 ? 1 : 0, m.cosine >= minCosine ? m.speedup : m.cosine];
      best = results.reduce((a, b) => (compare(score(b.m), score(a.m)) > 0 ? b : a));
      reason = best.m.candidate === 'as asked'
        ? `kept although ${why}: no alternative measured better (${results.slice(1).map((x) => describe(x.m)).join('; ')})`
        : `${why}; wrote ${best.m.candidate} instead: ${describe(best.m)} (static as asked: ${describe(m0)})`;
    } else if (slower || infidel) {
      reason = `kept (${guard.fallback === false ? '--no-fallback' : 'weight-only has no cheaper alternative'}) although ${why}`;
    }
    const far = best.m.cosine < farCosine;
    const report: GuardReport = { measured: results.map((r) => r.m), chosen: best.m.candidate, reason, samples: samples.length, generatedInput: generated, far };
    if (far && !guard.force) {
      for (const f of [output, first.saved.externalFile]) if (f) rmSync(f, { force: true });
      throw new GateError(`${input}: the quantized model is far from the original (cosine ${best.m.cosine.toFixed(4)} < ${farCosine} on ${samples.length} sample${samples.length === 1 ? '' : 's'}): ${reason}; nothing written (--force writes it anyway)`);
    }
    if (best.file === output) return { result: first, guard: report };
    const saved = { ...best.result.saved, file: output };
    if (first.saved.externalFile) rmSync(first.saved.externalFile, { force: true });
    if (best.result.saved.externalFile) {
      const side = join(dirname(output), basename(best.result.saved.externalFile));
      renameSync(best.result.saved.externalFile, side);
      saved.externalFile = side;
    }
    renameSync(best.file, output);
    return { result: { ...best.result, saved }, guard: report };
  } finally {
    await judge.release();
    if (work && existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}

const describe = (m: GuardMeasurement): string => `${m.candidate}: cosine ${m.cosine.toFixed(5)}, ${m.speedup.toFixed(2)}× speed (${m.quantizedMs.toFixed(3)} vs ${m.floatMs.toFixed(3)} ms), ${(m.bytes / 1024).toFixed(0)} KiB`;

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

async function guardSamples(model: string, path: string | undefined, limit: number, data?: DatasetOptions): Promise<{ samples: EvalSample[]; generated: boolean }> {
  const m = loadModel(model);
  let specs;
  try {
    specs = inputSpecs(m.proto);
  } finally {
    m.close();
  }
  if (path) return { samples: (await readEvalSamples(path, specs, limit, undefined, { modelDir: dirname(model), ...data })).samples, generated: false };
  return { samples: [{ source: '(generated input)', feeds: generatedFeeds(specs) }], generated: true };
}

/**
 * The units the one-shot analysis blames: for accuracy, the costliest until
 * the others' summed cost is below half of what the cosine threshold allows
 * (noise/signal 2(1 − cos)), at most half the units; for speed, those the
 * profile shows slower quantized.
 */
async function blamedUnits(input: string, opts: QuantizeFileOptions, guard: GuardOptions, slower: boolean, infidel: boolean): Promise<string[]> {
  const a = await analyzeModel(input, {
    calibrate: opts.calibrate!, ...(guard.evalPath ? { eval: guard.evalPath } : {}), method: opts.method, ...(opts.data ? { data: opts.data } : {}), percentile: opts.percentile, perTensor: opts.perTensor,
    reduceRange: opts.reduceRange, exclude: opts.exclude, samples: guard.samples ?? 8, exact: false, ...(guard.threads ? { threads: guard.threads } : {}),
  });
  const blamed = new Set<string>();
  if (infidel) {
    const allowed = (1 - (guard.minCosine ?? 0.99)) * 2 * 0.5;
    const byCost = [...a.units].sort((x, y) => y.cost - x.cost);
    let rest = byCost.reduce((s, u) => s + u.cost, 0);
    for (const u of byCost.slice(0, Math.max(1, Math.floor(a.units.length / 2)))) {
      if (rest <= allowed) break;
      blamed.add(u.name);
      rest -= u.cost;
    }
  }
  if (slower) for (const u of a.units) if (u.savedMs < 0) blamed.add(u.name);
  return a.units.filter((u) => blamed.has(u.name)).flatMap((u) => u.nodes);
}
