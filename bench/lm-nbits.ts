// The low-bit weight formats on the project's GPT-2-style decoder fixture
// (fixtures/gpt2-tiny, a 4-layer model trained on the Node.js docs): for each
// format and method, the file size, bits per byte of held-out text (two Node
// docs the model never saw in training) against FP32, and the prefill and
// per-token decode latency with the KV cache. Round to nearest against the
// error-compensating (GPTQ, on calibration windows) and data-free (HQQ)
// methods at 4 and 2 bits.
//
// The held-out text is split: its first quarter gives GPTQ's calibration
// windows, the other three quarters are scored (by every model alike).
// Latency is one intra-op thread, medians of interleaved rounds; on a busy
// machine it is noisy. Figures only.
//
// `node dist/bench/lm-nbits.js [fixture-folder]`
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { decodeLatency, textBits, type TokenizedText } from '../src/bench/lm-eval.js';
import { quantizeFile } from '../src/quant/quantize-file.js';
import type { NBitsOptions } from '../src/quant/nbits/options.js';
import { encodeNpz } from '../test/helpers/models.js';
import { fixturePath } from '../test/helpers/paths.js';

const CONTEXT = 128;
const CALIB_WINDOWS = 32;

interface Variant {
  name: string;
  nbits?: NBitsOptions;
  /** uses the calibration samples */
  calibrated?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'fp32' },
  { name: 'q4 (zero points, rtn, acc 4)', nbits: { bits: 4 } },
  { name: 'q4 --sym', nbits: { bits: 4, symmetric: true } },
  { name: 'q4 --accuracy-level 0', nbits: { bits: 4, accuracyLevel: 0 } },
  { name: 'q4 --block-size 128', nbits: { bits: 4, blockSize: 128 } },
  { name: 'q4 hqq', nbits: { bits: 4, algorithm: 'hqq' } },
  { name: 'q4 gptq', nbits: { bits: 4 }, calibrated: true },
  { name: 'q4 gptq --sym', nbits: { bits: 4, symmetric: true }, calibrated: true },
  { name: 'q4 --embeddings', nbits: { bits: 4, embeddings: true } },
  { name: 'q4 --format qdq', nbits: { format: 'qdq' } },
  { name: 'bnb4 nf4', nbits: { format: 'bnb4', bnb4Type: 'nf4' } },
  { name: 'bnb4 fp4', nbits: { format: 'bnb4', bnb4Type: 'fp4' } },
  { name: 'q2 rtn', nbits: { bits: 2 } },
  { name: 'q2 hqq', nbits: { bits: 2, algorithm: 'hqq' } },
  { name: 'q2 gptq', nbits: { bits: 2 }, calibrated: true },
];

/** transformers.js's tokenizer for the fixture: the text as ids, and each id's bytes. */
async function tokenize(folder: string, text: string): Promise<TokenizedText> {
  env.allowRemoteModels = false;
  env.localModelPath = `${resolve(folder, '..')}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(folder));
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  return { ids, bytes: ids.map((id) => Buffer.byteLength(tokenizer.decode([id]))) };
}

/** Calibration windows as .npz samples of the decoder's inputs, the KV cache empty. */
function writeCalibration(dir: string, ids: number[], session: ort.InferenceSession): void {
  mkdirSync(dir, { recursive: true });
  const meta = session.inputMetadata as unknown as Array<{ name: string; shape?: Array<number | string> }>;
  const step = Math.max(CONTEXT, Math.floor((ids.length - CONTEXT) / CALIB_WINDOWS));
  for (let w = 0, s = 0; w < CALIB_WINDOWS && s + CONTEXT <= ids.length; w++, s += step) {
    const window = ids.slice(s, s + CONTEXT);
    const int64 = (values: number[]) => ({ descr: '<i8', shape: [1, values.length], data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
    const arrays: Record<string, { descr: string; shape: readonly number[]; data: Uint8Array }> = {
      input_ids: int64(window), attention_mask: int64(window.map(() => 1)), position_ids: int64(window.map((_, i) => i)),
    };
    for (const m of meta) {
      if (!m.name.startsWith('past_')) continue;
      arrays[m.name] = { descr: '<f4', shape: (m.shape ?? []).map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : 0)), data: new Uint8Array(0) };
    }
    for (const name of Object.keys(arrays)) if (!session.inputNames.includes(name)) delete arrays[name];
    writeFileSync(join(dir, `window_${String(w).padStart(3, '0')}.npz`), encodeNpz(arrays));
  }
}

const folder = resolve(process.argv[2] ?? fixturePath('gpt2-tiny'));
const model = join(folder, 'onnx/model.onnx');
if (!existsSync(model) || !existsSync(join(folder, 'heldout.txt'))) {
  console.log(`skipped: no decoder fixture at ${folder} (onnx/model.onnx and heldout.txt)`);
  process.exit(0);
}
const text = readFileSync(join(folder, 'heldout.txt'), 'utf8');
const tokens = await tokenize(folder, text);
const split = Math.floor(tokens.ids.length / 4);
const scored: TokenizedText = { ids: tokens.ids.slice(split), bytes: tokens.bytes.slice(split) };
const work = mkdtempSync(join(tmpdir(), 'oq-lm-nbits-'));
try {
  const options = { intraOpNumThreads: 1, interOpNumThreads: 1, logSeverityLevel: 3 as const };
  const probe = await ort.InferenceSession.create(model, options);
  const calib = join(work, 'calib');
  writeCalibration(calib, tokens.ids.slice(0, split), probe);
  await probe.release();

  const rows: Array<{ v: Variant; file: string; bytes: number; seconds: number }> = [];
  for (const v of VARIANTS) {
    if (!v.nbits) {
      rows.push({ v, file: model, bytes: statSync(model).size, seconds: 0 });
      continue;
    }
    const out = join(work, `${rows.length}.onnx`);
    const t0 = performance.now();
    await quantizeFile(model, out, { nbits: { ...v.nbits, ...(v.calibrated ? { calibrate: calib } : {}) } });
    rows.push({ v, file: out, bytes: statSync(out).size, seconds: (performance.now() - t0) / 1000 });
  }

  const sessions = await Promise.all(rows.map((r) => ort.InferenceSession.create(r.file, options)));
  const bits: Awaited<ReturnType<typeof textBits>>[] = [];
  for (const s of sessions) bits.push(await textBits(s, scored, CONTEXT));
  // Latency: rounds interleaved over the models, so drift hits them alike; medians of the rounds.
  const prompt = scored.ids.slice(0, 64);
  const prefill: number[][] = rows.map(() => []);
  const decode: number[][] = rows.map(() => []);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < sessions.length; i++) {
      const l = await decodeLatency(sessions[i]!, prompt, 16, 1);
      prefill[i]!.push(l.prefillMs);
      decode[i]!.push(l.decodeMs);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = bits[0]!.bitsPerByte;
  console.log(`decoder fixture ${folder} (model.onnx, KV cache): ${scored.ids.length} held-out tokens scored (${bits[0]!.bytes} bytes), `
    + `GPTQ calibrated on ${CALIB_WINDOWS} windows of ${CONTEXT} tokens from the first quarter; latency: 1 thread, prompt 64 tokens, 16 decoded`);
  console.log(`${'variant'.padEnd(34)} ${'size KiB'.padStart(9)} ${'bits/byte'.padStart(10)} ${'vs fp32'.padStart(8)} ${'prefill ms'.padStart(11)} ${'decode ms'.padStart(10)} ${'made in s'.padStart(9)}`);
  rows.forEach((r, i) => {
    const b = bits[i]!.bitsPerByte;
    console.log(`${r.v.name.padEnd(34)} ${(r.bytes / 1024).toFixed(0).padStart(9)} ${b.toFixed(4).padStart(10)} `
      + `${(i === 0 ? '' : `${((b / base - 1) * 100 >= 0 ? '+' : '')}${((b / base - 1) * 100).toFixed(2)}%`).padStart(8)} `
      + `${median(prefill[i]!).toFixed(2).padStart(11)} ${median(decode[i]!).toFixed(3).padStart(10)} ${r.seconds ? r.seconds.toFixed(1).padStart(9) : ''.padStart(9)}`);
  });
  for (const s of sessions) await s.release();
} finally {
  rmSync(work, { recursive: true, force: true });
}
