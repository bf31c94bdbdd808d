// Quantization without calibration data, CPU, one intra-op thread, runs
// interleaved: dynamic INT8 against FP32 on a transformer-like MatMul model
// (6 FFN blocks, hidden 512, sequence 128), and Conv weights stored
// weight-only (DequantizeLinear ahead of a float Conv) against plain FP32 on
// a Conv-heavy model, the measurement behind the README's Conv default.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { convHeavy, matmulHeavy } from './models.js';
import { randomInputs, writeModel, type GeneratedModel } from '../test/helpers/models.js';
import { loadModel } from '../src/onnx/load.js';
import { saveModel } from '../src/onnx/save.js';
import { quantizeModel } from '../src/quant/quantize-model.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<number> {
  const t = performance.now();
  await session.run(feeds);
  return performance.now() - t;
}

async function compare(label: string, g: GeneratedModel, dir: string, weightOnly: boolean): Promise<void> {
  const src = join(dir, `${label}.onnx`);
  writeModel(g.model, src);
  const model = loadModel(src);
  const t0 = performance.now();
  const { proto, report } = await quantizeModel(model, { weightOnly });
  const out = join(dir, `${label}.int8.onnx`);
  saveModel(proto, out, { source: model });
  const seconds = (performance.now() - t0) / 1000;
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 };
  const a = await ort.InferenceSession.create(src, opts);
  const b = await ort.InferenceSession.create(out, opts);
  const feeds = randomInputs(g, 3);
  for (let i = 0; i < 3; i++) {
    await time(a, feeds);
    await time(b, feeds);
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < 20; i++) {
    ta.push(await time(a, feeds));
    tb.push(await time(b, feeds));
  }
  const kernels = Object.entries(report.quantized).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  console.log(`${label} (${report.mode}; integer kernels: ${kernels}): FP32 ${median(ta).toFixed(1)} ms, quantized ${median(tb).toFixed(1)} ms, `
    + `ratio ${(median(tb) / median(ta)).toFixed(2)}x; size ${(statSync(src).size / 2 ** 20).toFixed(1)} -> ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB; quantized in ${seconds.toFixed(1)} s`);
  await a.release();
  await b.release();
}

const dir = mkdtempSync(join(tmpdir(), 'oq-dyn-'));
try {
  console.log('no calibration data, CPU, 1 intra-op thread, 20 interleaved runs (target dynamic <= 0.6x FP32)');
  await compare('transformer-ffn-dynamic', matmulHeavy(2, { seq: 128 }), dir, false);
  await compare('conv-heavy-weight-only', convHeavy(1), dir, false);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
