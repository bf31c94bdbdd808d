// Language-model measurements on a causal decoder in the transformers.js
// layout (input_ids, attention_mask, optional position_ids and
// past_key_values.{i}.key/value → logits, present.*): bits per byte of a
// held-out text, and the latency of prefill (the prompt in one run) and of
// decoding one token with the KV cache. Works on a model with or without a
// cache (past inputs are fed empty), float32 or float16 logits.
import ort from 'onnxruntime-node';
import { halfArrayToFloat32 } from '../onnx/float16.js';

export interface TokenizedText {
  ids: number[];
  /** UTF-8 bytes each token stands for (same length as ids). */
  bytes: number[];
}

export interface TextBits {
  /** Tokens predicted (every token of each window but its first). */
  tokens: number;
  /** Bytes those tokens stand for. */
  bytes: number;
  bits: number;
  bitsPerByte: number;
  bitsPerToken: number;
}

type Session = ort.InferenceSession;

const PAST = /^past_key_values\.|^past_/;

/** An input's declared element type and shape, from ONNX Runtime's metadata. */
function inputMeta(session: Session, name: string): { type: string; shape: Array<number | string> } {
  const meta = (session.inputMetadata as unknown as Array<{ name: string; isTensor: boolean; type?: string; shape?: Array<number | string> }>)
    .find((m) => m.name === name);
  return { type: meta?.type ?? 'float32', shape: meta?.shape ?? [] };
}

/** Empty KV-cache inputs (past length 0), the other symbolic dimensions 1 (batch) or the declared size. */
function emptyPast(session: Session): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (!PAST.test(name)) continue;
    const { type, shape } = inputMeta(session, name);
    // [batch, heads, past_sequence_length, head_size]: the sequence axis is the third, symbolic one.
    const dims = shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : 0));
    const data = type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    feeds[name] = new ort.Tensor(type as 'float32', data as Float32Array, dims);
  }
  return feeds;
}

function int64(values: number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
}

/** Feeds for `ids` following `past` tokens already in the cache (0 for none). */
function stepFeeds(session: Session, ids: number[], past: number, cache: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = { input_ids: int64(ids), ...cache };
  if (session.inputNames.includes('attention_mask')) feeds.attention_mask = int64(new Array(past + ids.length).fill(1));
  if (session.inputNames.includes('position_ids')) feeds.position_ids = int64(ids.map((_, i) => past + i));
  return feeds;
}

function logitsOf(t: ort.Tensor): Float32Array {
  return t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array);
}

/** The next cache: each present.* output becomes the matching past input. */
function nextCache(session: Session, outputs: ort.InferenceSession.OnnxValueMapType): Record<string, ort.Tensor> {
  const cache: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (!PAST.test(name)) continue;
    const present = name.replace(/^past_key_values\./, 'present.').replace(/^past_/, 'present_');
    const t = outputs[present];
    if (!t) throw new Error(`the model has input ${name} but no output ${present}`);
    cache[name] = t as ort.Tensor;
  }
  return cache;
}

/**
 * Bits per byte of `text` under the model: the text cut into windows of
 * `context` tokens, each run once; every token but a window's first is
 * predicted from the ones before it in the window.
 */
export async function textBits(session: Session, text: TokenizedText, context: number): Promise<TextBits> {
  let bits = 0;
  let bytes = 0;
  let tokens = 0;
  for (let s = 0; s + 1 < text.ids.length; s += context) {
    const ids = text.ids.slice(s, s + context);
    const out = await session.run(stepFeeds(session, ids, 0, emptyPast(session)));
    const logits = logitsOf(out.logits as ort.Tensor);
    const vocab = logits.length / ids.length;
    for (let j = 0; j + 1 < ids.length; j++) {
      const row = logits.subarray(j * vocab, (j + 1) * vocab);
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) if (row[v]! > max) max = row[v]!;
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v]! - max);
      bits += (Math.log(sum) + max - row[ids[j + 1]!]!) / Math.LN2;
      bytes += text.bytes[s + j + 1]!;
      tokens++;
    }
  }
  return { tokens, bytes, bits, bitsPerByte: bits / bytes, bitsPerToken: bits / tokens };
}

export interface DecodeLatency {
  /** Median ms of running the whole prompt (empty cache). */
  prefillMs: number;
  /** Median ms of one decoding step with the cache (one token). */
  decodeMs: number;
  promptTokens: number;
  decodeSteps: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Prefill and per-token decode latency: `rounds` times, the prompt in one
 * run, then `steps` greedy tokens one at a time with the cache the model
 * returns (a model without a cache reruns the whole sequence each step).
 */
export async function decodeLatency(session: Session, prompt: number[], steps: number, rounds: number): Promise<DecodeLatency> {
  const cached = session.inputNames.some((n) => PAST.test(n));
  const prefill: number[] = [];
  const decode: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    let out = await session.run(stepFeeds(session, prompt, 0, emptyPast(session)));
    prefill.push(performance.now() - t0);
    const seq = [...prompt];
    for (let s = 0; s < steps; s++) {
      const logits = logitsOf(out.logits as ort.Tensor);
      const vocab = logits.length / (cached && s > 0 ? 1 : seq.length);
      const last = logits.subarray(logits.length - vocab);
      seq.push(last.indexOf(Math.max(...last)));
      t0 = performance.now();
      out = cached
        ? await session.run(stepFeeds(session, [seq[seq.length - 1]!], seq.length - 1, nextCache(session, out)))
        : await session.run(stepFeeds(session, seq, 0, {}));
      decode.push(performance.now() - t0);
    }
  }
  return { prefillMs: median(prefill), decodeMs: median(decode), promptTokens: prompt.length, decodeSteps: steps };
}
