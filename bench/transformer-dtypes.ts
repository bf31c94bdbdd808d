// Every --dtype variant of the GPT-2-style fixture decoder (with KV cache),
// against float32: file size, bits per byte on the held-out text (targets:
// fp16 within +0.1%, q8 within +1%), prefill latency (128 tokens, empty
// cache; target q8 <= 0.6x float32) and per-token decode latency with a
// 64-token cache. CPU, one intra-op thread, the models' runs interleaved in
// rounds so drift on the shared machine hits all alike. Figures only.
// fp16 is written for both targets: portable (float16 math, ORT adds its own
// Casts on CPU) and cpu (float32 math where ORT's CPU has no float16 kernel).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { env, AutoTokenizer } from '@huggingface/transformers';
import { loadModel } from '../src/onnx/load.js';
import { inputSpecs } from '../src/quant/prepare.js';
import { generatedFeeds } from '../src/data/generated-feeds.js';
import { registeredDtypes } from '../src/quant/dtypes/registry.js';
import { produceVariant } from '../src/quant/dtypes/produce-variants.js';
import { fp16 } from '../src/quant/dtypes/fp16.js';
import type { DtypeEntry, DtypeSettings } from '../src/quant/dtypes/types.js';
import { fixturePath } from '../test/helpers/paths.js';

const LAYERS = 4;
const HEADS = 4;
const HEAD_DIM = 32;
const WINDOW = 128;
const STRIDE = 64;
const MAX_TOKENS = 16384;
const ROUNDS = 20;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function feeds(ids: number[], past: number, cache?: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const n = ids.length;
  const f: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(past + n).fill(1n), [1, past + n]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map((_, i) => BigInt(past + i))), [1, n]),
  };
  for (let l = 0; l < LAYERS; l++) {
    for (const kv of ['key', 'value']) {
      f[`past_key_values.${l}.${kv}`] = cache?.[`present.${l}.${kv}`] ?? new ort.Tensor('float32', new Float32Array(0), [1, HEADS, 0, HEAD_DIM]);
    }
  }
  return f;
}

/** Natural-log loss of every predicted token over sliding windows, and the bytes those tokens cover. */
async function bitsPerByte(session: ort.InferenceSession, ids: number[], tokenBytes: number[]): Promise<number> {
  let nats = 0;
  let bytes = 0;
  for (let start = 0; start + 1 < ids.length; start += STRIDE) {
    const window = ids.slice(start, start + WINDOW);
    const first = start === 0 ? 1 : WINDOW - STRIDE; // predict only tokens not predicted before
    if (window.length <= first) break;
    const out = await session.run(feeds(window, 0));
    const logits = out.logits!.data as Float32Array;
    const v = out.logits!.dims[2]!;
    for (let i = first; i < window.length; i++) {
      const row = logits.subarray((i - 1) * v, i * v);
      let max = -Infinity;
      for (const x of row) if (x > max) max = x;
      let sum = 0;
      for (const x of row) sum += Math.exp(x - max);
      nats += Math.log(sum) + max - row[window[i]!]!;
      bytes += tokenBytes[window[i]!]!;
    }
  }
  return nats / Math.LN2 / bytes;
}

const dir = mkdtempSync(join(tmpdir(), 'oq-tdtypes-'));
try {
  const repo = join(dir, 'gpt2-tiny');
  mkdirSync(join(repo, 'onnx'), { recursive: true });
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) cpSync(fixturePath('gpt2-tiny', f), join(repo, f));
  const src = join(repo, 'onnx', 'model.onnx');
  cpSync(fixturePath('gpt2-tiny', 'onnx', 'model.onnx'), src);

  const settings: DtypeSettings = { keepIoTypes: true, fp16Target: 'portable', reduceRange: true, perTensor: false, extra: {} };
  const model = loadModel(src);
  const check = { feeds: generatedFeeds(inputSpecs(model.proto), { vocabSize: 1024 }), source: 'generated input' };
  model.close();
  const fp16Cpu: DtypeEntry = { ...fp16, name: 'fp16 (cpu target)', suffix: '_fp16cpu', produce: (job) => fp16.produce({ ...job, settings: { ...job.settings, fp16Target: 'cpu' } }) };
  const entries = [...registeredDtypes(), fp16Cpu];
  const models: Array<{ name: string; file: string; bytes: number; seconds?: number }> = [{ name: 'fp32', file: src, bytes: readFileSync(src).length }];
  for (const entry of entries) {
    const r = await produceVariant(src, entry, join(repo, 'onnx'), { settings, force: true }, check);
    models.push({ name: entry.name, file: r.output, bytes: r.bytes, seconds: r.seconds });
  }

  env.allowRemoteModels = false;
  env.localModelPath = dir;
  const tokenizer = await AutoTokenizer.from_pretrained('gpt2-tiny');
  const text = readFileSync(fixturePath('gpt2-tiny', 'heldout.txt'), 'utf8');
  const ids = (tokenizer.encode(text) as number[]).slice(0, MAX_TOKENS);
  const tokenBytes = Array.from({ length: 1024 }, (_, id) => Buffer.byteLength(tokenizer.decode([id]), 'utf8'));

  const opts: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 };
  const sessions = await Promise.all(models.map((m) => ort.InferenceSession.create(m.file, opts)));
  const bpb = [];
  for (const s of sessions) bpb.push(await bitsPerByte(s, ids, tokenBytes));

  // Latency: a 128-token prefill on an empty cache, and one token on a 64-token cache.
  const prompt = ids.slice(0, WINDOW);
  const cached = await Promise.all(sessions.map((s) => s.run(feeds(ids.slice(0, 64), 0))));
  const prefill: number[][] = sessions.map(() => []);
  const decode: number[][] = sessions.map(() => []);
  for (let round = 0; round < ROUNDS + 3; round++) {
    for (const [i, s] of sessions.entries()) {
      // Each figure is the mean of 5 back-to-back runs: a single 2 ms run is at the mercy of the scheduler.
      const full = feeds(prompt, 0);
      let t = performance.now();
      for (let k = 0; k < 5; k++) await s.run(full);
      if (round >= 3) prefill[i]!.push((performance.now() - t) / 5);
      const step = feeds([ids[64]!], 64, cached[i]);
      t = performance.now();
      for (let k = 0; k < 5; k++) await s.run(step);
      if (round >= 3) decode[i]!.push((performance.now() - t) / 5);
    }
  }
  console.log(`GPT-2-style fixture (1.07M parameters, KV cache); held-out text: ${ids.length} tokens; CPU, 1 intra-op thread, ${ROUNDS} interleaved rounds of 5 runs`);
  console.log('dtype              size        bits/byte   vs fp32   prefill 128 ms   vs fp32   decode 1 token ms   vs fp32');
  for (const [i, m] of models.entries()) {
    const p = median(prefill[i]!);
    const d = median(decode[i]!);
    console.log(`${m.name.padEnd(18)} ${(m.bytes / 1e6).toFixed(2).padStart(6)} MB  ${bpb[i]!.toFixed(4).padStart(9)}  ${((bpb[i]! / bpb[0]! - 1) * 100).toFixed(3).padStart(7)}%  ` +
      `${p.toFixed(2).padStart(14)}  ${(p / median(prefill[0]!)).toFixed(2).padStart(7)}x  ${d.toFixed(3).padStart(17)}  ${(d / median(decode[0]!)).toFixed(2).padStart(7)}x`);
  }
  for (const s of sessions) await s.release();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
