// `quantize analyze`: for every unit the static plan would quantize, what it
// costs in accuracy and what it buys in time, measured on the model at hand.
//
// Accuracy, in two tiers:
// - one-shot: the probe model (probe-model.ts) runs each evaluation sample
//   once and gives every unit's local error: the SQNR of its output with only
//   it quantized, fed float inputs, for each variant (int8 kernels with the
//   default 7-bit weights, 8-bit weights, weight-only). Cheap: S runs.
// - exact: where the one-shot ranking is close (neighbours within 6 dB) among
//   the units that matter, the final outputs' SQNR with only that unit
//   quantized, from the same session with one gate on. S runs per unit.
// The accuracy cost of a unit is its output noise-to-signal ratio: exact where
// checked, else its local one scaled by the median output/local ratio of the
// checked units (so both tiers share one scale).
//
// Speed: ONNX Runtime's per-node profile of the float and of the fully
// quantized model (after graph optimisation, so fused QLinearConv/QGemm, the
// Q/DQ left standing and the layout nodes count as they run), each optimised
// node charged to the unit it stands for.
import { dirname } from 'node:path';
import ort from 'onnxruntime-node';
import type { DatasetOptions } from '../data/dataset.js';
import { loadModel } from '../onnx/load.js';
import type { Model } from '../onnx/model.js';
import type { ModelProto } from '../onnx/proto.js';
import { tensorShape } from '../onnx/tensor-data.js';
import { DataType } from '../onnx/dtypes.js';
import { RuntimeFailure } from '../errors.js';
import type { Range, CalibrationMethod } from '../calib/calibrate.js';
import { quantizeStatic, type StaticInternals } from '../quant/quantize-static.js';
import { inputSpecs, modelFloatType } from '../quant/prepare.js';
import { openSessionFor } from '../quant/ort-session.js';
import { buildProbe, type ProbeVariant } from './probe-model.js';
import { profilePair, originalNodeOf, type NodeTime } from './node-profile.js';
import { errorSums, readEvalSamples, sqnrDbOf, type EvalSample } from './samples.js';
import { unitsOf, type Unit } from './units.js';
import { worstChannelSqnrDb } from './weight-sqnr.js';

export type VariantKey = 'int8' | 'int8-w8' | 'weight-only';

export interface AnalyzeOptions {
  calibrate: string;
  /** evaluation samples (default: the calibration samples) */
  eval?: string;
  method?: CalibrationMethod;
  percentile?: number;
  reduceRange?: boolean;
  perTensor?: boolean;
  exclude?: string[];
  threads?: number;
  /** execution provider the timing profile runs on (default cpu) */
  provider?: string;
  /** evaluation samples the analysis runs (default 16) */
  samples?: number;
  /** exact checks where the one-shot ranking is close (default true; false: one-shot estimates only) */
  exact?: boolean;
  /** how samples are read (preprocessing, sample rate, ...: src/data/) */
  data?: DatasetOptions;
  /** ranges already calibrated (filled in as a cache) */
  ranges?: Map<string, Range>;
  onStage?: (stage: string) => void;
}

export interface UnitAnalysis {
  name: string;
  op: string;
  nodes: string[];
  /** local SQNR (dB) of the unit's output with only it quantized, per variant it has */
  localSqnrDb: Partial<Record<VariantKey, number>>;
  /** the integer-kernel variant with the smaller local error (int8 = the default weights, int8-w8 = 8-bit weights) */
  kernelVariant: VariantKey;
  /** final outputs' SQNR (dB) with only this unit quantized (its kernel variant), when checked exactly */
  outputSqnrDb?: number;
  /** accuracy cost: output noise / signal with only this unit quantized (exact, or estimated from the local error) */
  cost: number;
  costExact: boolean;
  /** worst output channel's SQNR (dB) of the int8 weight, for weight ops */
  weightSqnrDb?: number;
  /** per run, from ORT's profile: float, quantized (fused kernel + its share of Q/DQ and layout nodes), saved */
  floatMs: number;
  quantizedMs: number;
  savedMs: number;
  /** 1 = largest accuracy cost */
  accuracyRank: number;
  /** 1 = most time lost by quantizing (smallest saving) */
  slowdownRank: number;
}

export interface Analysis {
  model: string;
  evalSource: string;
  evalSamples: number;
  /** the evaluation samples are the calibration samples (the result may flatter itself) */
  evalIsCalibration: boolean;
  method: CalibrationMethod;
  units: UnitAnalysis[];
  /** whole-model time per run from the profiles (ms): every node, including those no unit owns */
  floatTotalMs: number;
  quantizedTotalMs: number;
  /** runs of a model the analysis took: probe one-shot, exact checks, profiles */
  runs: { oneShot: number; exact: number; profile: number; total: number };
  exactChecks: number;
  seconds: number;
  provider: string;
  threads: number | null;
  /** the float model the units refer to and the quantized variants (for the search to reuse) */
  internals?: AnalysisInternals;
}

export interface AnalysisInternals {
  units: Unit[];
  samples: EvalSample[];
  ranges: Map<string, Range>;
  floatOutputs: Array<Map<string, Float32Array>>;
}

const CLOSE_DB = 6;

export async function analyzeModel(file: string, opts: AnalyzeOptions): Promise<Analysis> {
  const started = performance.now();
  const model = loadModel(file);
  try {
    return await analyzeLoaded(model, opts, started);
  } finally {
    model.close();
  }
}

async function analyzeLoaded(model: Model, opts: AnalyzeOptions, started: number): Promise<Analysis> {
  if (modelFloatType(model.proto) !== DataType.FLOAT) throw new RuntimeFailure(`${model.file}: the per-layer analysis runs on float32 models (this one takes FLOAT16 inputs)`);
  const ranges = opts.ranges ?? new Map<string, Range>();
  const reduceRange = opts.reduceRange ?? true;
  const base = { calibrate: opts.calibrate, method: opts.method ?? 'minmax', percentile: opts.percentile, perTensor: opts.perTensor,
    reduceRange, exclude: opts.exclude ?? [], minIntensity: 0, ranges, ...(opts.data ? { data: opts.data } : {}) };
  opts.onStage?.('calibrating and quantizing');
  let internals: StaticInternals | undefined;
  const int8 = await quantizeStatic(model, { ...base, onInternals: (i) => (internals = i) });
  const { floatProto, plan, pairs } = internals!;
  const isConstant = (name: string) => (floatProto.graph!.initializer ?? []).some((t) => t.name === name);
  const units = unitsOf(plan, floatProto.graph!.node ?? [], isConstant);
  if (units.length === 0) throw new RuntimeFailure(`${model.file}: nothing the static plan quantizes (no Conv, Gemm, MatMul with a constant weight)`);
  const weightUnits = units.filter((u) => u.weight).map((u) => u.name);

  const variants: ProbeVariant[] = [{ key: 'int8', proto: int8.proto, pairs, units: new Set(units.map((u) => u.name)) }];
  if (reduceRange && weightUnits.length) {
    let w8: StaticInternals | undefined;
    const q = await quantizeStatic(model, { ...base, fullRangeNodes: weightUnits, onInternals: (i) => (w8 = i) });
    variants.push({ key: 'int8-w8', proto: q.proto, pairs: w8!.pairs, units: new Set(weightUnits) });
  }
  if (weightUnits.length) {
    let wo: StaticInternals | undefined;
    const q = await quantizeStatic(model, { ...base, weightOnlyNodes: weightUnits, onInternals: (i) => (wo = i) });
    const woNodes = new Set([...wo!.plan.weightOnlyNodes.values()].flat().map((n) => n.name ?? ''));
    variants.push({ key: 'weight-only', proto: q.proto, pairs: wo!.pairs, units: new Set(weightUnits.filter((n) => woNodes.has(n))) });
  }

  const specs = inputSpecs(model.proto);
  const evalSource = opts.eval ?? opts.calibrate;
  const { samples } = await readEvalSamples(evalSource, specs, opts.samples ?? 16, undefined, { modelDir: dirname(model.file), ...opts.data });

  opts.onStage?.('one-shot: every unit quantized alone, in one run per sample');
  const probe = buildProbe(floatProto, units, variants);
  const session = await openSessionFor(probe.proto, model.file, { ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}) });
  const local = units.map(() => new Map<string, { signal: number; noise: number }>());
  const floatOutputs: Array<Map<string, Float32Array>> = [];
  let oneShotRuns = 0;
  let exactRuns = 0;
  const gates = (on?: number) => {
    const g = new Float32Array(probe.gateCount);
    if (on !== undefined) g[on] = 1;
    return new ort.Tensor('float32', g, [probe.gateCount]);
  };
  try {
    const fetches = [...new Set([...probe.compare.flatMap((c) => [c.float, ...c.quantized.values()]), ...probe.finals.map((f) => f.tensor)])];
    for (const sample of samples) {
      const out = await session.run({ ...sample.feeds, [probe.gateInput]: gates() }, fetches);
      oneShotRuns++;
      probe.compare.forEach((c, i) => {
        const ref = out[c.float]!.data as Float32Array;
        for (const [key, name] of c.quantized) {
          const s = errorSums(ref, out[name]!.data as Float32Array);
          const acc = local[i]!.get(key) ?? { signal: 0, noise: 0 };
          local[i]!.set(key, { signal: acc.signal + s.signal, noise: acc.noise + s.noise });
        }
      });
      floatOutputs.push(new Map(probe.finals.map((f) => [f.output, Float32Array.from(out[f.tensor]!.data as Float32Array)])));
      for (const t of Object.values(out)) t.dispose();
    }

    const localDb = local.map((m) => Object.fromEntries([...m].map(([k, s]) => [k, sqnrDbOf(s.signal, s.noise)])) as Partial<Record<VariantKey, number>>);
    const kernelVariant = localDb.map((d) => ((d['int8-w8'] ?? -Infinity) > (d.int8 ?? -Infinity) ? 'int8-w8' : 'int8') as VariantKey);
    const localNsr = localDb.map((d, i) => nsrOf(d[kernelVariant[i]!] ?? Infinity));

    // Exact checks where the one-shot order is close, among the units that matter.
    opts.onStage?.('exact checks where the one-shot ranking is close');
    const order = units.map((_, i) => i).sort((a, b) => localNsr[b]! - localNsr[a]!);
    const budget = Math.min(units.length, Math.max(8, Math.ceil(2 * Math.sqrt(units.length))));
    const toCheck: number[] = [];
    order.slice(0, opts.exact === false ? 0 : budget).forEach((u, r) => {
      const db = dbOf(localNsr[u]!);
      if (db > 60) return; // a unit this clean cannot matter
      const near = [order[r - 1], order[r + 1]].some((v) => v !== undefined && Math.abs(dbOf(localNsr[v]!) - db) < CLOSE_DB);
      if (near) toCheck.push(u);
    });
    const outputNsr = new Map<number, number>();
    for (const u of toCheck) {
      const sums = new Map<string, { signal: number; noise: number }>();
      for (let s = 0; s < samples.length; s++) {
        const out = await session.run({ ...samples[s]!.feeds, [probe.gateInput]: gates(probe.gateIndex(u, kernelVariant[u]!)) }, probe.finals.map((f) => f.tensor));
        exactRuns++;
        for (const f of probe.finals) {
          const e = errorSums(floatOutputs[s]!.get(f.output)!, out[f.tensor]!.data as Float32Array);
          const acc = sums.get(f.output) ?? { signal: 0, noise: 0 };
          sums.set(f.output, { signal: acc.signal + e.signal, noise: acc.noise + e.noise });
        }
        for (const t of Object.values(out)) t.dispose();
      }
      outputNsr.set(u, Math.max(...[...sums.values()].map((x) => (x.signal > 0 ? x.noise / x.signal : x.noise > 0 ? Infinity : 0))));
    }
    const ratios = [...outputNsr].filter(([u]) => localNsr[u]! > 0 && Number.isFinite(localNsr[u]!)).map(([u, o]) => o / localNsr[u]!).sort((a, b) => a - b);
    const gain = ratios.length ? ratios[Math.floor(ratios.length / 2)]! : 1;

    opts.onStage?.('timing every node in ONNX Runtime\'s profile');
    const provider = opts.provider ?? 'cpu';
    const profileOpts = { ...(opts.threads ? { threads: opts.threads } : {}), providers: [provider] };
    const profiles = await profilePair(floatProto, int8.proto, model.file, samples[0]!.feeds, profileOpts);
    const floatTimes = chargeToUnits(profiles.a, floatProto, units, new Map());
    const quantTimes = chargeToUnits(profiles.b, int8.proto, units, int8.origin);

    const rows: UnitAnalysis[] = units.map((u, i) => {
      const exact = outputNsr.get(i);
      const weight = u.weight ? floatProto.graph!.initializer!.find((t) => t.name === u.weight) : undefined;
      let weightSqnrDb: number | undefined;
      if (weight) {
        const axis = plan.weights.get(u.weight!) ?? null;
        weightSqnrDb = worstChannelSqnrDb(model.float32(weight), tensorShape(weight), axis, reduceRange && kernelVariant[i] === 'int8');
      }
      const floatMs = floatTimes.perUnit[i]!;
      const quantizedMs = quantTimes.perUnit[i]!;
      return {
        name: u.name, op: u.op, nodes: u.nodes, localSqnrDb: localDb[i]!, kernelVariant: kernelVariant[i]!,
        ...(exact !== undefined ? { outputSqnrDb: dbOf(exact) } : {}),
        cost: exact ?? localNsr[i]! * gain, costExact: exact !== undefined,
        ...(weightSqnrDb !== undefined ? { weightSqnrDb } : {}),
        floatMs, quantizedMs, savedMs: floatMs - quantizedMs, accuracyRank: 0, slowdownRank: 0,
      };
    });
    [...rows].sort((a, b) => b.cost - a.cost).forEach((r, k) => (r.accuracyRank = k + 1));
    [...rows].sort((a, b) => a.savedMs - b.savedMs).forEach((r, k) => (r.slowdownRank = k + 1));
    const profileRuns = profiles.runs;
    return {
      model: model.file, evalSource, evalSamples: samples.length, evalIsCalibration: opts.eval === undefined, method: base.method,
      units: rows, floatTotalMs: floatTimes.total, quantizedTotalMs: quantTimes.total,
      runs: { oneShot: oneShotRuns, exact: exactRuns, profile: profileRuns, total: oneShotRuns + exactRuns + profileRuns },
      exactChecks: toCheck.length, seconds: (performance.now() - started) / 1000, provider, threads: opts.threads ?? null,
      internals: { units, samples, ranges, floatOutputs },
    };
  } finally {
    await session.release();
  }
}

const nsrOf = (db: number): number => (db === Infinity ? 0 : 10 ** (-db / 10));
const dbOf = (nsr: number): number => (nsr === 0 ? Infinity : -10 * Math.log10(nsr));

/**
 * Each profiled node's time charged to units: a node that stands for a unit's
 * node (by name, an ORT suffix, the tensor it is named after, or the origin
 * map of the Q/DQ nodes the rewrite created) goes to that unit, split evenly
 * when it serves several; a node that stands for nothing known (a layout
 * Transpose, a Reorder) goes with the node run before it.
 */
export function chargeToUnits(times: NodeTime[], proto: ModelProto, units: readonly Unit[], origin: Map<string, string[]>): { perUnit: number[]; total: number } {
  const nodes = proto.graph!.node ?? [];
  const names = new Set(nodes.map((n) => n.name ?? ''));
  const producerOf = new Map<string, string>();
  for (const n of nodes) for (const o of n.output ?? []) producerOf.set(o, n.name ?? '');
  const unitOfNode = new Map<string, number>();
  units.forEach((u, i) => u.nodes.forEach((n) => unitOfNode.set(n, i)));
  const perUnit = units.map(() => 0);
  let total = 0;
  let last: number[] = [];
  for (const t of times) {
    total += t.ms;
    const node = originalNodeOf(t.name, names, producerOf);
    let owners: number[] | undefined;
    if (node !== undefined) {
      const served = origin.get(node) ?? [node];
      owners = [...new Set(served.map((n) => unitOfNode.get(n)).filter((x): x is number => x !== undefined))];
    }
    if (owners === undefined) owners = last;
    else last = owners;
    for (const u of owners) perUnit[u]! += t.ms / owners.length;
  }
  return { perUnit, total };
}
