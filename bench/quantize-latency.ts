// INT8 (static QDQ) against FP32 on a Conv-heavy and a MatMul-heavy generated
// model, CPU, one intra-op thread, runs interleaved. Figures only.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { convHeavy, matmulHeavy } from './models.js';
import { randomInputs, writeModel, writeSamples, type GeneratedModel } from '../test/helpers/models.js';
import { loadModel } from '../src/onnx/load.js';
import { saveModel } from '../src/onnx/save.js';
import { quantizeStatic } from '../src/quant/quantize-model.js';

async function median(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  return times;
}

const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bench(name: string, g: GeneratedModel, dir: string): Promise<void> {
  const src = join(dir, `${name}.onnx`);
  writeModel(g.model, src);
  writeSamples(join(dir, `${name}-calib`), g, 8, 1);
  const model = loadModel(src);
  const t0 = performance.now();
  const { proto } = await quantizeStatic(model, { calibrate: join(dir, `${name}-calib`) });
  const out = join(dir, `${name}.int8.onnx`);
  saveModel(proto, out, { source: model });
  const quantizeSeconds = (performance.now() - t0) / 1000;
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 };
  const fp32 = await ort.InferenceSession.create(src, opts);
  const int8 = await ort.InferenceSession.create(out, { ...opts, optimizedModelFilePath: join(dir, `${name}.int8.optimized.onnx`) });
  const feeds = randomInputs(g, 7);
  await median(fp32, feeds, 3);
  await median(int8, feeds, 3);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 10; round++) {
    a.push(...(await median(fp32, feeds, 2)));
    b.push(...(await median(int8, feeds, 2)));
  }
  const optimized = loadModel(join(dir, `${name}.int8.optimized.onnx`));
  const ops = new Map<string, number>();
  for (const n of optimized.proto.graph!.node ?? []) ops.set(n.opType ?? '', (ops.get(n.opType ?? '') ?? 0) + 1);
  console.log(`${name}: FP32 median ${med(a).toFixed(1)} ms, INT8 median ${med(b).toFixed(1)} ms, ratio ${(med(b) / med(a)).toFixed(2)}x `
    + `(size ${(statSync(src).size / 2 ** 20).toFixed(1)} -> ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, quantized in ${quantizeSeconds.toFixed(1)} s)`);
  console.log(`  ops ORT runs in the INT8 model: ${[...ops].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  await fp32.release();
  await int8.release();
}

const dir = mkdtempSync(join(tmpdir(), 'oq-lat-'));
try {
  console.log('static INT8 vs FP32, CPU, 1 intra-op thread, 20 interleaved runs each (target INT8 <= 0.7x)');
  await bench('conv-heavy', convHeavy(1), dir);
  await bench('matmul-heavy', matmulHeavy(2), dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
