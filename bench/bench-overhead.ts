// The benchmark harness's own overhead: on a model of about 1 ms, the median
// that measureLatency reports (original and quantized interleaved in turns)
// against a bare loop of `await session.run(feeds)` timed with
// performance.now(). Target: within 10 %. Blocks of each alternate, so drift
// on the machine hits both. Figures only; nothing passes or fails on time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo } from '../src/onnx/build.js';
import { DataType } from '../src/onnx/dtypes.js';
import type { NodeProto, TensorProto } from '../src/onnx/proto.js';
import { measureLatency, medianOf, quantileSorted } from '../src/bench/latency.js';
import { Rng } from '../test/helpers/models.js';

// 64 rows through 256×256 weights: compute-bound, and the weights (256 KiB a
// layer) stay in the cache, so the run time grows in proportion to the layers.
const WIDTH = 256;
const ROWS = 64;
const TARGET_MS = 1;

/** x [ROWS, WIDTH] → `layers` × (MatMul WIDTH×WIDTH + Relu) → y [ROWS, WIDTH]. */
function mlp(layers: number): Uint8Array {
  const rng = new Rng(7);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let act = 'x';
  for (let i = 0; i < layers; i++) {
    inits.push(makeTensor(`w${i}`, [WIDTH, WIDTH], rng.normalArray(WIDTH * WIDTH, Math.sqrt(2 / WIDTH))));
    nodes.push(makeNode('MatMul', [act, `w${i}`], [`mm${i}`], `mm${i}`));
    const out = i === layers - 1 ? 'y' : `relu${i}`;
    nodes.push(makeNode('Relu', [`mm${i}`], [out], `relu${i}`));
    act = out;
  }
  return encodeModel(makeModel(makeGraph({
    nodes, initializers: inits,
    inputs: [makeValueInfo('x', DataType.FLOAT, [ROWS, WIDTH])],
    outputs: [makeValueInfo('y', DataType.FLOAT, [ROWS, WIDTH])],
  })));
}

async function bareLoop(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t0);
  }
  return times;
}

async function sessions(file: string, threads: number | undefined): Promise<[ort.InferenceSession, ort.InferenceSession]> {
  const opts: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, ...(threads ? { intraOpNumThreads: threads } : {}) };
  return [await ort.InferenceSession.create(file, opts), await ort.InferenceSession.create(file, opts)];
}

/** Layers for a ~1 ms run: measure 4 layers on the bare loop, scale. */
async function calibrate(dir: string, threads: number | undefined, feeds: Record<string, ort.Tensor>): Promise<{ file: string; layers: number }> {
  let layers = 4;
  for (let attempt = 0; attempt < 4; attempt++) {
    const file = join(dir, `mlp-${layers}.onnx`);
    writeFileSync(file, mlp(layers));
    const [s] = await sessions(file, threads);
    await bareLoop(s, feeds, 50);
    // the least of three medians: what the machine's other load added least to
    let median = Infinity;
    for (let i = 0; i < 3; i++) median = Math.min(median, medianOf(await bareLoop(s, feeds, 200)));
    await s.release();
    const next = Math.max(1, Math.min(128, Math.round((layers * TARGET_MS) / median)));
    if (Math.abs(median - TARGET_MS) / TARGET_MS < 0.2 || next === layers) return { file, layers };
    layers = next;
  }
  const file = join(dir, `mlp-${layers}.onnx`);
  writeFileSync(file, mlp(layers));
  return { file, layers };
}

const fmt = (ms: number): string => ms.toFixed(3);

async function run(dir: string, threads: number | undefined): Promise<void> {
  const feeds = { x: new ort.Tensor('float32', new Rng(3).normalArray(ROWS * WIDTH), [ROWS, WIDTH]) };
  const { file, layers } = await calibrate(dir, threads, feeds);
  const [a, b] = await sessions(file, threads);
  const bare: number[] = [];
  const bareBlocks: number[] = [];
  const harness: number[] = [];
  const harnessB: number[] = [];
  let turns = '';
  await bareLoop(a, feeds, 20);
  // Alternating blocks: measureLatency with its defaults (what `quantize bench` runs: 5 warm-up
  // runs, then at least 20 runs and 1 s), then a bare loop of as many runs on session A.
  for (let block = 0; block < 6; block++) {
    const m = await measureLatency(a, b, feeds);
    harness.push(m.a.median);
    harnessB.push(m.b.median);
    turns = `${m.a.runs} runs each, turns of up to ${m.turns.runsPerTurn} timed after ${m.turns.settleRuns} untimed`;
    const times = await bareLoop(a, feeds, m.a.runs);
    bare.push(...times);
    bareBlocks.push(medianOf(times));
  }
  await a.release();
  await b.release();
  const bareSorted = Float64Array.from(bare).sort();
  const bareMedian = medianOf(bareBlocks);
  const harnessMedian = medianOf(harness);
  const harnessMedianB = medianOf(harnessB);
  const overhead = (harnessMedian / bareMedian - 1) * 100;
  console.log(`model: ${layers} × (MatMul [${ROWS}, ${WIDTH}] × [${WIDTH}, ${WIDTH}] + Relu), ${threads ? `${threads} intra-op thread${threads > 1 ? 's' : ''}` : 'default intra-op threads'}`);
  console.log(`  bare loop of session.run         median ${fmt(bareMedian)} ms (all runs: p10 ${fmt(quantileSorted(bareSorted, 0.1))}, p90 ${fmt(quantileSorted(bareSorted, 0.9))})`);
  console.log(`  measureLatency (A, B in turns)   median ${fmt(harnessMedian)} ms (session A; B ${fmt(harnessMedianB)} ms; last block: ${turns})`);
  console.log(`  medians of ${harness.length} alternating blocks each; harness overhead ${overhead >= 0 ? '+' : ''}${overhead.toFixed(1)}% (target: within 10%)`);
}

const dir = mkdtempSync(join(tmpdir(), 'oq-overhead-'));
try {
  console.log('harness overhead: reported median vs a bare loop of session.run on a ~1 ms model');
  await run(dir, 1);
  await run(dir, undefined);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
