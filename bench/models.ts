// The benchmark models: big enough that FP32 inference on one CPU thread
// takes 50-150 ms a run, so INT8 speed-ups show above the noise.
//   convHeavy    [1,3,224,224] → a VGG/ResNet-like stack of 3x3 Convs (32-128 channels) + Relu
//                → GlobalAveragePool → Flatten → Gemm → [1,100]
//   matmulHeavy  [1,128,512] → 6 transformer-FFN blocks (MatMul 512x2048 + Add + Relu
//                + MatMul 2048x512 + Add) → [1,128,512]
// Deterministic in the seed, like the test models (test/helpers/models.ts).
//
// `node dist/bench/models.js [runs]` prints each model's FP32 latency on one thread.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import ort from 'onnxruntime-node';
import { encodeModel, makeGraph, makeModel, makeNode, makeValueInfo } from '../src/onnx/build.js';
import { DataType } from '../src/onnx/dtypes.js';
import type { NodeProto } from '../src/onnx/proto.js';
import { randomInputs, Rng, WeightSink, type GeneratedModel } from '../test/helpers/models.js';

/** A stage: a stride-2 3x3 Conv to `channels`, then `convs` more 3x3 Convs at that width. */
export interface ConvStage {
  channels: number;
  convs: number;
}

export interface ConvHeavyOptions {
  opset?: number;
  /** input height and width */
  size?: number;
  stages?: ConvStage[];
  classes?: number;
}

export const CONV_HEAVY_DEFAULTS: Required<ConvHeavyOptions> = {
  opset: 13,
  size: 224,
  stages: [{ channels: 32, convs: 3 }, { channels: 64, convs: 10 }, { channels: 128, convs: 10 }],
  classes: 100,
};

/** He-initialised N(0, sqrt(2/fan_in)) weight and a small non-zero bias. */
function heAndBias(rng: Rng, w: WeightSink, prefix: string, wDims: number[], fanIn: number, out: number): [string, string] {
  const n = wDims.reduce((a, b) => a * b, 1);
  const wName = w.add(`${prefix}.weight`, wDims, rng.normalArray(n, Math.sqrt(2 / fanIn)));
  const bias = rng.normalArray(out, 0.05, 0.01);
  for (let i = 0; i < out; i++) if (Math.abs(bias[i]) < 1e-3) bias[i] = bias[i] < 0 ? -1e-3 : 1e-3;
  return [wName, w.add(`${prefix}.bias`, [out], bias)];
}

export function convHeavy(seed: number, opts: ConvHeavyOptions = {}): GeneratedModel {
  const { opset, size, stages, classes } = { ...CONV_HEAVY_DEFAULTS, ...opts };
  const rng = new Rng(seed);
  const w = new WeightSink('initializer');
  const nodes: NodeProto[] = [];
  let act = 'x';
  let cin = 3;
  let k = 0;
  const conv = (cout: number, stride: number): void => {
    const [wName, bName] = heAndBias(rng, w, `conv${k}`, [cout, cin, 3, 3], cin * 9, cout);
    nodes.push(makeNode('Conv', [act, wName, bName], [`conv${k}_out`], `conv${k}`,
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride] }));
    nodes.push(makeNode('Relu', [`conv${k}_out`], [`relu${k}`], `relu${k}`));
    act = `relu${k}`;
    cin = cout;
    k++;
  };
  for (const stage of stages) {
    conv(stage.channels, 2);
    for (let i = 0; i < stage.convs; i++) conv(stage.channels, 1);
  }
  nodes.push(makeNode('GlobalAveragePool', [act], ['gap_out'], 'gap'));
  nodes.push(makeNode('Flatten', ['gap_out'], ['flat_out'], 'flatten', { axis: 1 }));
  const [fcW, fcB] = heAndBias(rng, w, 'fc', [classes, cin], cin, classes);
  nodes.push(makeNode('Gemm', ['flat_out', fcW, fcB], ['y'], 'fc', { transB: 1 }));
  const graph = makeGraph({
    name: 'conv_heavy',
    nodes,
    inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', 3, size, size])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['batch', classes])],
    initializers: w.initializers,
  });
  return {
    model: makeModel(graph, opset, 8),
    inputs: [{ name: 'x', shape: [1, 3, size, size], dtype: 'float32', dist: 'unit' }],
    outputs: [{ name: 'y', shape: [1, classes] }],
  };
}

export interface MatmulHeavyOptions {
  opset?: number;
  seq?: number;
  hidden?: number;
  ffn?: number;
  blocks?: number;
}

export const MATMUL_HEAVY_DEFAULTS: Required<MatmulHeavyOptions> = { opset: 13, seq: 192, hidden: 512, ffn: 2048, blocks: 6 };

export function matmulHeavy(seed: number, opts: MatmulHeavyOptions = {}): GeneratedModel {
  const { opset, seq, hidden, ffn, blocks } = { ...MATMUL_HEAVY_DEFAULTS, ...opts };
  const rng = new Rng(seed);
  const w = new WeightSink('initializer');
  const nodes: NodeProto[] = [];
  let act = 'x';
  for (let b = 0; b < blocks; b++) {
    const p = `block${b}`;
    const [w1, b1] = heAndBias(rng, w, `${p}.fc1`, [hidden, ffn], hidden, ffn);
    // The second projection is scaled down (like a residual branch's init) so activations stay O(1).
    const [w2, b2] = heAndBias(rng, w, `${p}.fc2`, [ffn, hidden], ffn * 2, hidden);
    const out = b === blocks - 1 ? 'y' : `${p}_out`;
    nodes.push(
      makeNode('MatMul', [act, w1], [`${p}_mm1`], `${p}_matmul1`),
      makeNode('Add', [`${p}_mm1`, b1], [`${p}_add1`], `${p}_add1`),
      makeNode('Relu', [`${p}_add1`], [`${p}_relu`], `${p}_relu`),
      makeNode('MatMul', [`${p}_relu`, w2], [`${p}_mm2`], `${p}_matmul2`),
      makeNode('Add', [`${p}_mm2`, b2], [out], `${p}_add2`),
    );
    act = out;
  }
  const graph = makeGraph({
    name: 'matmul_heavy',
    nodes,
    inputs: [makeValueInfo('x', DataType.FLOAT, ['batch', seq, hidden])],
    outputs: [makeValueInfo('y', DataType.FLOAT, ['batch', seq, hidden])],
    initializers: w.initializers,
  });
  return {
    model: makeModel(graph, opset, 8),
    inputs: [{ name: 'x', shape: [1, seq, hidden], dtype: 'float32' }],
    outputs: [{ name: 'y', shape: [1, seq, hidden] }],
  };
}

export interface LatencyResult {
  medianMs: number;
  minMs: number;
  meanMs: number;
  runs: number;
}

/** Per-run latency of a model (bytes) on random inputs, after warm-up runs; one intra-op thread by default. */
export async function measureLatency(bytes: Uint8Array, g: Pick<GeneratedModel, 'inputs'>,
  opts: { runs?: number; warmup?: number; threads?: number; seed?: number } = {}): Promise<LatencyResult> {
  const runs = opts.runs ?? 20;
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: opts.threads ?? 1, interOpNumThreads: 1, executionMode: 'sequential',
  });
  try {
    const feeds = randomInputs(g.inputs, opts.seed ?? 0);
    for (let i = 0; i < (opts.warmup ?? 3); i++) await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return {
      medianMs: times[Math.floor(times.length / 2)],
      minMs: times[0],
      meanMs: times.reduce((a, b) => a + b, 0) / times.length,
      runs,
    };
  } finally {
    await session.release();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] ?? 20);
  for (const [name, make] of [['convHeavy', convHeavy], ['matmulHeavy', matmulHeavy]] as const) {
    const g = make(0);
    const bytes = encodeModel(g.model);
    const r = await measureLatency(bytes, g, { runs });
    console.log(`${name}: ${(bytes.length / 2 ** 20).toFixed(1)} MiB, FP32 1 thread: median ${r.medianMs.toFixed(1)} ms, `
      + `min ${r.minMs.toFixed(1)} ms, mean ${r.meanMs.toFixed(1)} ms (${r.runs} runs)`);
  }
}
