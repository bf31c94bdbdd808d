// Judges a candidate quantized model against the float one on the evaluation
// samples: the accuracy figure the bench gates use (labeled top-1 drop, else
// top-1 disagreement, else 1 − cosine, in points; or a value of the --metric
// hook), the latency of both measured interleaved (src/bench/latency.ts), and
// the size. The float model's outputs are computed once.
import ort from 'onnxruntime-node';
import { statSync } from 'node:fs';
import { encodeModelChunks } from '../onnx/encode-chunks.js';
import { externalDataFiles } from '../bench/compare.js';
import type { ModelProto } from '../onnx/proto.js';
import { accuracyGate } from '../bench/gates.js';
import { FidelityAccumulator, isClassifierShape, toFloat32, type NumericArray } from '../bench/metrics.js';
import { measureLatency, type LatencyOptions } from '../bench/latency.js';
import { MetricAccumulator, type CustomMetric, type MetricSample } from '../bench/metric-hook.js';
import type { NdArray } from '../data/ndarray.js';
import { UsageError } from '../errors.js';
import { openSessionFor } from '../quant/ort-session.js';
import type { EvalSample } from './samples.js';

export interface JudgeOptions {
  threads?: number;
  provider?: string;
  /** the --metric hook and the value of it the budget is on (--auto-metric) */
  custom?: { metric: CustomMetric; key: string };
  latency?: LatencyOptions;
}

export interface Verdict {
  /** what the figure is: 'top-1 accuracy drop', 'top-1 disagreement', '1 - cosine', or the custom metric's key */
  metric: string;
  /** the drop (lower is better): points for the built-in figures, the metric's own units for a custom one */
  value: number;
  floatMs: number;
  quantizedMs: number;
  /** median(float) / median(quantized) */
  speedup: number;
  speedupInterval: { low: number; high: number };
  bytes: number;
  /** worst output cosine, for messages */
  cosine: number;
}

export class Judge {
  private constructor(
    private readonly floatSession: ort.InferenceSession,
    private readonly floatOutputs: Array<Record<string, ort.Tensor>>,
    private readonly samples: EvalSample[],
    private readonly sourceFile: string,
    private readonly opts: JudgeOptions,
  ) {}

  evaluations = 0;

  /** `float`: the reference model, in memory (sourceFile: where its external data is relative to) or a file. */
  static async create(float: ModelProto | string, sourceFile: string, samples: EvalSample[], opts: JudgeOptions = {}): Promise<Judge> {
    const session = await open(float, sourceFile, opts);
    const outputs: Array<Record<string, ort.Tensor>> = [];
    for (const s of samples) outputs.push((await session.run(s.feeds)) as Record<string, ort.Tensor>);
    if (opts.custom) {
      // The value the budget is on must be one the hook returns: asked once, on the first sample.
      const probe = new MetricAccumulator(opts.custom.metric);
      await probe.add('original', outputs[0]!, metricSample(samples[0]!));
      await probe.add('quantized', outputs[0]!, metricSample(samples[0]!));
      const keys = probe.result().values.map((v) => v.key);
      if (!keys.includes(opts.custom.key)) {
        await session.release();
        throw new UsageError(`--auto-metric ${opts.custom.key}: the --metric hook '${opts.custom.metric.name}' returns ${keys.length ? keys.join(', ') : 'no value'}, not '${opts.custom.key}'`);
      }
    }
    return new Judge(session, outputs, samples, sourceFile, opts);
  }

  async release(): Promise<void> {
    await this.floatSession.release();
  }

  /** Runs the candidate on every sample and measures its latency against the float model. */
  async judge(proto: ModelProto | string, measureTime = true): Promise<Verdict> {
    this.evaluations++;
    const session = await open(proto, this.sourceFile, this.opts);
    try {
      const accumulators = new Map<string, FidelityAccumulator>();
      const custom = this.opts.custom ? new MetricAccumulator(this.opts.custom.metric) : undefined;
      let labeled = 0;
      let classifier: string | undefined;
      for (let i = 0; i < this.samples.length; i++) {
        const sample = this.samples[i]!;
        const ref = this.floatOutputs[i]!;
        const test = (await session.run(sample.feeds)) as Record<string, ort.Tensor>;
        classifier ??= Object.keys(ref).find((n) => ref[n]!.type !== 'string' && isClassifierShape(ref[n]!.dims));
        for (const [name, r] of Object.entries(ref)) {
          const q = test[name];
          if (!q || r.type === 'string') continue;
          let acc = accumulators.get(name);
          if (!acc) accumulators.set(name, (acc = new FidelityAccumulator(name)));
          const label = name === classifier ? sample.label : undefined;
          if (label !== undefined) labeled++;
          acc.add(toFloat32(r.data as NumericArray, r.type), toFloat32(q.data as NumericArray, q.type), r.dims, label);
        }
        if (custom) {
          await custom.add('original', ref, metricSample(sample));
          await custom.add('quantized', test, metricSample(sample));
        }
      }
      const outputs = [...accumulators.values()].map((a) => ({ name: a.name, ...a.summary() }));
      const cosine = Math.min(...outputs.map((o) => o.cosine));
      let metric: string;
      let value: number;
      if (custom) {
        const key = this.opts.custom!.key;
        const v = custom.result().values.find((x) => x.key === key);
        if (!v) {
          const keys = custom.result().values.map((x) => x.key);
          throw new UsageError(`--auto-metric ${key}: the --metric hook '${this.opts.custom!.metric.name}' returns ${keys.length ? keys.join(', ') : 'no value'}, not '${key}'`);
        }
        metric = key;
        value = this.opts.custom!.metric.higherIsBetter ? v.original - v.quantized : v.quantized - v.original;
      } else {
        const s = classifier ? accumulators.get(classifier)!.summary() : undefined;
        const accuracy = s && labeled > 0 ? { output: classifier!, labeled: s.labeled, original: s.referenceCorrect / s.labeled, quantized: s.testCorrect / s.labeled,
          drop: ((s.referenceCorrect - s.testCorrect) / s.labeled) * 100 } : undefined;
        const gate = accuracyGate({ ...(accuracy ? { accuracy } : {}), outputs: outputs.map((o) => ({ name: o.name, cosine: o.cosine, sqnrDb: null, maxAbsError: o.maxAbsError,
          meanAbsError: o.meanAbsError, elements: o.elements, nonFinite: o.nonFinite, ...(o.top1Agreement !== undefined ? { top1Agreement: o.top1Agreement } : {}) })) }, 0);
        metric = gate.metric;
        value = gate.value;
      }
      let floatMs = NaN;
      let quantizedMs = NaN;
      let speedup = NaN;
      let speedupInterval = { low: NaN, high: NaN };
      if (measureTime) {
        const lat = await measureLatency(this.floatSession, session, this.samples[0]!.feeds, { warmupRuns: 3, minRuns: 10, minTimeMs: 600, ...this.opts.latency });
        floatMs = lat.a.median;
        quantizedMs = lat.b.median;
        speedup = lat.speedup;
        speedupInterval = { low: lat.interval.low, high: lat.interval.high };
      }
      return { metric, value, floatMs, quantizedMs, speedup, speedupInterval, bytes: sizeOf(proto), cosine };
    } finally {
      await session.release();
    }
  }
}

/** A sample as the --metric hook sees it (its inputs as ONNX Runtime tensors' data and dims). */
function metricSample(sample: EvalSample): MetricSample {
  const inputs: Record<string, NdArray> = {};
  for (const [name, t] of Object.entries(sample.feeds)) inputs[name] = { dtype: t.type as NdArray['dtype'], shape: [...t.dims], data: t.data as NdArray['data'] };
  return { source: sample.source, inputs, ...(sample.label !== undefined ? { label: sample.label } : {}) };
}

async function open(model: ModelProto | string, sourceFile: string, opts: JudgeOptions): Promise<ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, { logSeverityLevel: 3, ...sessionOptions(opts) })
    : openSessionFor(model, sourceFile, sessionOptions(opts));
}

/** Bytes of the model: encoded, or the file with its external data. */
function sizeOf(model: ModelProto | string): number {
  if (typeof model !== 'string') return encodeModelChunks(model).length;
  return [model, ...externalDataFiles(model)].reduce((sum, f) => sum + statSync(f).size, 0);
}

function sessionOptions(opts: JudgeOptions): ort.InferenceSession.SessionOptions {
  return { ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}), ...(opts.provider ? { executionProviders: [opts.provider] } : {}) };
}
