// Static against dynamic INT8 on the BERT-style fixture encoder, the
// measurement behind q8's mode for encoders: dynamic (no samples), static
// with the tool's rules (attention's MatMuls of two activations float), and
// static with those MatMuls quantized too (QLinearMatMul). Accuracy on the 64
// held-out masked-token samples: agreement of the masked position's top-1
// with float32, the labeled top-1 accuracy, the logits' cosine; latency of
// one 32-token sample and of a 64-token one, CPU, one intra-op thread,
// interleaved rounds. Figures only.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { quantizeFile } from '../src/quant/quantize-file.js';
import { allSamples, openDataset } from '../src/data/dataset.js';
import { toFeeds } from '../src/data/to-ort.js';
import { fixturePath } from '../test/helpers/paths.js';

const ROUNDS = 30;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const names = ['input_ids', 'attention_mask', 'token_type_ids'];

function argmaxRow(data: Float32Array, row: number, v: number): number {
  let best = 0;
  for (let j = 1; j < v; j++) if (data[row * v + j]! > data[row * v + best]!) best = j;
  return best;
}

const dir = mkdtempSync(join(tmpdir(), 'oq-enc8-'));
try {
  const src = join(dir, 'model.onnx');
  copyFileSync(fixturePath('bert-tiny', 'onnx', 'model.onnx'), src);
  const calib = fixturePath('bert-tiny', 'calib');
  const evalDir = fixturePath('bert-tiny', 'eval');
  const variants: Array<{ name: string; file: string; kernels?: string }> = [{ name: 'fp32', file: src }];
  const make = async (name: string, opts: Parameters<typeof quantizeFile>[2]) => {
    const out = join(dir, `${name}.onnx`);
    const r = await quantizeFile(src, out, opts);
    variants.push({ name, file: out, kernels: Object.entries(r.report.quantized).map(([k, v]) => `${v} ${k}`).join(', ') });
  };
  await make('dynamic', {});
  await make('static', { calibrate: calib });
  await make('static+attention', { calibrate: calib, activationMatMuls: true } as Parameters<typeof quantizeFile>[2]);

  const labels = JSON.parse(readFileSync(join(evalDir, 'labels.json'), 'utf8')) as Record<string, number>;
  const samples = await allSamples(openDataset(evalDir, names));
  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 };
  const sessions = await Promise.all(variants.map((v) => ort.InferenceSession.create(v.file, opts)));
  // Accuracy: each eval sample masks one token.
  const top1: number[][] = variants.map(() => []);
  const cos: number[] = variants.map(() => 0);
  const correct: number[] = variants.map(() => 0);
  for (const s of samples) {
    const feeds = toFeeds(s.inputs, names);
    const ids = s.inputs.get('input_ids')!.data as BigInt64Array;
    const at = ids.findIndex((x) => x === 1027n); // [MASK]
    const label = labels[s.source.split('/').pop()!]!;
    let ref: Float32Array | undefined;
    for (const [i, session] of sessions.entries()) {
      const out = (await session.run(feeds)).logits!;
      const data = out.data as Float32Array;
      const v = out.dims[2]!;
      const pred = argmaxRow(data, at, v);
      top1[i]!.push(pred);
      if (pred === label) correct[i]!++;
      if (i === 0) ref = data;
      let dot = 0, na = 0, nb = 0;
      for (let j = 0; j < data.length; j++) {
        dot += data[j]! * ref![j]!;
        na += data[j]! ** 2;
        nb += ref![j]! ** 2;
      }
      cos[i]! += dot / Math.sqrt(na * nb) / samples.length;
    }
  }
  // Latency on 32 and 64 tokens.
  const lat32: number[][] = variants.map(() => []);
  const lat64: number[][] = variants.map(() => []);
  const f32 = toFeeds(samples[0]!.inputs, names);
  const long = (name: string, t: ort.Tensor) => new ort.Tensor('int64', BigInt64Array.from({ length: 64 }, (_, i) => (t.data as BigInt64Array)[i % 32]!), [1, 64]);
  const f64 = Object.fromEntries(names.map((n) => [n, long(n, f32[n]!)]));
  for (let round = 0; round < ROUNDS + 3; round++) {
    for (const [i, session] of sessions.entries()) {
      for (const [feeds, list] of [[f32, lat32], [f64, lat64]] as const) {
        const t = performance.now();
        for (let k = 0; k < 5; k++) await session.run(feeds);
        if (round >= 3) list[i]!.push((performance.now() - t) / 5);
      }
    }
  }
  console.log(`BERT-style fixture encoder (0.69M parameters), ${samples.length} masked-token eval samples, calibration on 32; CPU, 1 thread, ${ROUNDS} interleaved rounds of 5 runs`);
  console.log('variant             size      masked top-1 = fp32   labeled top-1   logits cosine   32 tokens ms  vs fp32   64 tokens ms  vs fp32   integer kernels');
  for (const [i, v] of variants.entries()) {
    const agree = top1[i]!.filter((p, k) => p === top1[0]![k]).length / samples.length;
    const size = statSync(v.file).size;
    console.log(`${v.name.padEnd(18)} ${(size / 1e6).toFixed(2)} MB  ${(agree * 100).toFixed(1).padStart(18)}%  ${String(correct[i]).padStart(7)}/${samples.length}  ${cos[i]!.toFixed(5).padStart(14)}  ` +
      `${median(lat32[i]!).toFixed(3).padStart(12)}  ${(median(lat32[i]!) / median(lat32[0]!)).toFixed(2)}x  ${median(lat64[i]!).toFixed(3).padStart(12)}  ${(median(lat64[i]!) / median(lat64[0]!)).toFixed(2)}x   ${v.kernels ?? ''}`);
  }
  for (const s of sessions) await s.release();
  void readdirSync;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
