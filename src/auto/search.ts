// `quantize --auto --max-accuracy-drop X`: per unit, float, weight-only
// int8, or integer kernels (7-bit or 8-bit weights, whichever the analysis
// measured closer to float), chosen to meet the accuracy budget at the lowest
// measured latency. Every candidate is the real quantized model (the same
// rewrite the output is written with), judged on the evaluation samples and
// timed against the float model, interleaved.
//
// The order comes from the analysis: units whose quantized form measured
// slower than float are tried out of the integer kernels first (a measured
// step: kept only if the model is faster without them); then units leave the
// integer kernels worst trade-off first (accuracy cost per ms saved), in
// geometric steps (1, 2, 4, ...) until the budget is met, then bisected; then
// the units taken out that cost almost nothing are put back one by one while
// the budget holds.
import { dirname } from 'node:path';
import type { Model } from '../onnx/model.js';
import { loadModel } from '../onnx/load.js';
import type { ModelProto } from '../onnx/proto.js';
import { quantizeStatic } from '../quant/quantize-static.js';
import { inputSpecs } from '../quant/prepare.js';
import { analyzeModel, type Analysis, type AnalyzeOptions, type UnitAnalysis } from './analyze.js';
import { Judge, type JudgeOptions, type Verdict } from './judge.js';
import { readEvalSamples } from './samples.js';

export type UnitChoice = 'int8' | 'int8-w8' | 'weight-only' | 'float';

export interface SearchOptions extends AnalyzeOptions {
  /** the budget: the drop allowed, in the metric's units (points for the built-in metrics) */
  maxAccuracyDrop: number;
  labels?: ReadonlyMap<string, number | readonly number[]>;
  custom?: JudgeOptions['custom'];
  /** evaluation samples each candidate runs (default: all of them, up to 1000) */
  evalLimit?: number;
  onStep?: (step: SearchStep, index: number) => void;
}

export interface SearchStep {
  label: string;
  metric: { name: string; value: number };
  meets: boolean;
  latencyMs: number;
  floatMs: number;
  speedup: number;
  /** 95% paired-bootstrap interval of the speed-up */
  speedupInterval: { low: number; high: number };
  bytes: number;
  int8Units: number;
  weightOnlyUnits: number;
  floatUnits: number;
  config: Record<string, UnitChoice>;
}

export interface SearchResult {
  metric: string;
  budget: number;
  steps: SearchStep[];
  /** the step written (the fastest that meets the budget; else the best trade-off found) */
  chosenStep: number;
  met: boolean;
  outcome: string;
  choice: Array<{ name: string; op: string; choice: UnitChoice; reason: string }>;
  /** candidate models judged, and the whole search's time (analysis included) */
  evaluations: number;
  seconds: number;
  analysisRuns: number;
  provider: string;
  /** what the writer needs: node lists for the quantizer */
  settings: { exclude: string[]; weightOnlyNodes: string[]; fullRangeNodes: string[] };
  analysis: Omit<Analysis, 'internals'>;
}

/** Below this local SQNR gap the weight-only form is preferred to float for a unit leaving the integer kernels. */
const WEIGHT_ONLY_MIN_DB = 30;

export async function searchQuantization(file: string, opts: SearchOptions): Promise<SearchResult> {
  const started = performance.now();
  const model = loadModel(file);
  try {
    // The judge first: it reads the samples and calls a --metric hook once, so their problems show before the analysis.
    const { samples } = await readEvalSamples(opts.eval ?? opts.calibrate, inputSpecs(model.proto), opts.evalLimit ?? 1000, opts.labels, { modelDir: dirname(file), ...opts.data });
    const judge = await Judge.create(file, file, samples, { ...(opts.threads ? { threads: opts.threads } : {}), provider: opts.provider ?? 'cpu', custom: opts.custom });
    try {
      const analysis = await analyzeModel(file, opts);
      return await search(model, analysis, judge, opts, started);
    } finally {
      await judge.release();
    }
  } finally {
    model.close();
  }
}

async function search(model: Model, analysis: Analysis, judge: Judge, opts: SearchOptions, started: number): Promise<SearchResult> {
  const { ranges } = analysis.internals!;
  const units = analysis.units;
  const build = async (config: Record<string, UnitChoice>): Promise<ModelProto> => {
    const exclude = [...(opts.exclude ?? []), ...units.filter((u) => config[u.name] === 'float').flatMap((u) => u.nodes)];
    const q = await quantizeStatic(model, {
      calibrate: opts.calibrate, method: opts.method ?? 'minmax', percentile: opts.percentile, perTensor: opts.perTensor, reduceRange: opts.reduceRange ?? true,
      ...(opts.data ? { data: opts.data } : {}),
      minIntensity: 0, ranges, exclude, weightOnlyNodes: units.filter((u) => config[u.name] === 'weight-only').map((u) => u.name),
      fullRangeNodes: units.filter((u) => config[u.name] === 'int8-w8').map((u) => u.name),
    });
    return q.proto;
  };
  const first: Record<string, UnitChoice> = Object.fromEntries(units.map((u) => [u.name, u.kernelVariant]));
  const firstProto = await build(first);
  const steps: SearchStep[] = [];
  const seen = new Map<string, number>();
  const evaluate = async (label: string, config: Record<string, UnitChoice>, proto?: ModelProto): Promise<SearchStep> => {
    const key = JSON.stringify(config);
    const known = seen.get(key);
    if (known !== undefined) return steps[known]!;
    const v: Verdict = await judge.judge(proto ?? (await build(config)));
    const count = (c: UnitChoice[]) => units.filter((u) => c.includes(config[u.name]!)).length;
    const step: SearchStep = {
      label, metric: { name: v.metric, value: v.value }, meets: v.value <= opts.maxAccuracyDrop, latencyMs: v.quantizedMs, floatMs: v.floatMs,
      speedup: v.speedup, speedupInterval: v.speedupInterval, bytes: v.bytes, int8Units: count(['int8', 'int8-w8']), weightOnlyUnits: count(['weight-only']), floatUnits: count(['float']), config,
    };
    seen.set(key, steps.length);
    steps.push(step);
    opts.onStep?.(step, steps.length - 1);
    return step;
  };
  const outOfKernels = (u: UnitAnalysis): UnitChoice => {
    const wo = u.localSqnrDb['weight-only'];
    return wo !== undefined && wo >= WEIGHT_ONLY_MIN_DB ? 'weight-only' : 'float';
  };
  const reasons = new Map<string, string>();
  {
    let current = first;
    let best = await evaluate('every unit in integer kernels', first, firstProto);

    // Units the profile shows slower when quantized (by more than 2% of the float model's time, or
    // 10 µs: below that a profile's attribution is noise): out, unless the whole model then
    // measures more than 10% slower, beyond noise (the attribution of layout nodes is a guess).
    const material = Math.max(0.01, 0.02 * analysis.floatTotalMs);
    const slower = units.filter((u) => u.savedMs < -material);
    if (slower.length) {
      const config = { ...current };
      for (const u of slower) config[u.name] = outOfKernels(u);
      const step = await evaluate(`${slower.length} unit${slower.length === 1 ? '' : 's'} measured slower when quantized taken out`, config);
      // Rejected only when confidently slower: its speed-up's 95% interval lies wholly below 0.9× the other's.
      if ((step.meets && !best.meets) || (step.meets === best.meets && step.speedupInterval.high >= best.speedup * 0.9)) {
        current = config;
        best = step;
        for (const u of slower) reasons.set(u.name, `quantized it measured ${(-u.savedMs).toFixed(3)} ms slower per run than float`);
      }
    }

    if (!best.meets) {
      // Worst trade-off first: accuracy cost per ms saved.
      const candidates = units.filter((u) => current[u.name] === 'int8' || current[u.name] === 'int8-w8')
        .sort((a, b) => b.cost / Math.max(a.savedMs, 1e-6) - a.cost / Math.max(b.savedMs, 1e-6) || b.cost - a.cost);
      const moved = (k: number) => {
        const config = { ...current };
        for (const u of candidates.slice(0, k)) config[u.name] = outOfKernels(u);
        return config;
      };
      let lo = 0;
      let hi = -1;
      for (let k = 1; ; k = Math.min(candidates.length, k * 2)) {
        const step = await evaluate(`${k} unit${k === 1 ? '' : 's'} with the worst trade-off out of the integer kernels`, moved(k));
        if (step.meets) {
          hi = k;
          break;
        }
        lo = k;
        if (k === candidates.length) break;
      }
      if (hi > 0) {
        while (hi - lo > 1) {
          const mid = (lo + hi) >> 1;
          const step = await evaluate(`${mid} unit${mid === 1 ? '' : 's'} out (bisecting)`, moved(mid));
          if (step.meets) hi = mid;
          else lo = mid;
        }
        current = moved(hi);
        best = steps[seen.get(JSON.stringify(current))!]!;
        const out = candidates.slice(0, hi);
        for (const u of out) reasons.set(u.name, `accuracy: costs ${u.cost.toExponential(1)} of output noise/signal for ${u.savedMs.toFixed(3)} ms saved`);
        // Put back the ones that cost (almost) nothing, cheapest first.
        const top = Math.max(...out.map((u) => u.cost));
        for (const u of [...out].filter((x) => x.cost <= top * 0.1).sort((a, b) => a.cost - b.cost).slice(0, 8)) {
          const config = { ...current, [u.name]: u.kernelVariant };
          const step = await evaluate(`${u.name} put back`, config);
          if (step.meets) {
            current = config;
            best = step;
            reasons.delete(u.name);
          }
        }
      }
    }

    // Integer kernels that do not pay anywhere: the model measured slower than float. Then the
    // candidate without them (int8 weights stored, float math) is judged too.
    const fastest = steps.filter((s) => s.meets).reduce<SearchStep | undefined>((a, b) => (!a || b.speedup > a.speedup ? b : a), undefined);
    if (fastest && fastest.speedupInterval.high < 1) {
      const config = Object.fromEntries(units.map((u) => [u.name, outOfKernels(u)])) as Record<string, UnitChoice>;
      const step = await evaluate('every unit out of the integer kernels (the quantized models measured slower than float)', config);
      if (step.meets && step.speedup > fastest.speedup) {
        for (const u of units) reasons.set(u.name, 'the integer kernels measured slower than float for this model');
      }
    }

    // The fastest step that meets the budget (measured), else the best trade-off.
    const meeting = steps.map((s, i) => [s, i] as const).filter(([s]) => s.meets && s.int8Units + s.weightOnlyUnits > 0);
    let chosen: number;
    let outcome: string;
    if (meeting.length) {
      chosen = meeting.reduce((a, b) => (b[0].speedup > a[0].speedup ? b : a))[1];
      const s = steps[chosen]!;
      outcome = `budget met: ${s.metric.name} ${s.metric.value.toFixed(3)} ≤ ${opts.maxAccuracyDrop}, ${s.speedup.toFixed(2)}× the float model's speed (measured), ${s.int8Units} of ${units.length} units in integer kernels`;
    } else {
      chosen = steps.map((s, i) => [s, i] as const).reduce((a, b) => (b[0].metric.value < a[0].metric.value ? b : a))[1];
      const s = steps[chosen]!;
      outcome = `no choice meets the budget (${s.metric.name} ≤ ${opts.maxAccuracyDrop}): the best trade-off found is step ${chosen}, ${s.metric.value.toFixed(3)} at ${s.speedup.toFixed(2)}× speed`;
    }
    const config = steps[chosen]!.config;
    const choice = units.map((u) => ({ name: u.name, op: u.op, choice: config[u.name]!,
      reason: reasons.get(u.name) ?? (config[u.name] === 'int8-w8' ? 'integer kernels; 8-bit weights measured closer to float than 7-bit'
        : config[u.name] === 'int8' ? 'integer kernels' : 'taken out of the integer kernels') }));
    const { internals: _drop, ...analysisOut } = analysis;
    return {
      metric: steps[0]!.metric.name, budget: opts.maxAccuracyDrop, steps, chosenStep: chosen, met: meeting.length > 0, outcome, choice,
      evaluations: judge.evaluations, seconds: (performance.now() - started) / 1000, analysisRuns: analysis.runs.total, provider: opts.provider ?? 'cpu',
      settings: {
        exclude: [...(opts.exclude ?? []), ...units.filter((u) => config[u.name] === 'float').flatMap((u) => u.nodes)],
        weightOnlyNodes: units.filter((u) => config[u.name] === 'weight-only').map((u) => u.name),
        fullRangeNodes: units.filter((u) => config[u.name] === 'int8-w8').map((u) => u.name),
      },
      analysis: analysisOut,
    };
  }
}
