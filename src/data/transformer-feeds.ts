// Inputs that a transformer graph accepts when no sample was given: token ids
// inside the vocabulary, attention masks of ones, position ids counting up
// from the past length, token type ids of zero, and an empty KV cache
// (past_key_values.* with past length 0), so that decoders with a cache run
// as transformers.js runs them on the first step.
//
// A model is taken for a transformer when an integer input is named like
// token ids (input_ids, decoder_input_ids, ...) or an input is a KV-cache
// entry; other models keep the generic generated input (generated-feeds.ts).
import type { ModelProto } from '../onnx/proto.js';
import { tensorShape } from '../onnx/tensor-data.js';
import { float32ArrayToHalf } from '../onnx/float16.js';
import type { Sample } from './dataset.js';
import type { NdArray } from './ndarray.js';
import type { InputSpec } from './validate.js';

export interface TransformerHints {
  /** Vocabulary size (config.json's vocab_size, or the embedding table's rows). */
  vocabSize?: number;
  /** Tokens per sequence (default 8). */
  sequenceLength?: number;
  /** Past length of the KV-cache inputs (default 0: an empty cache). */
  pastLength?: number;
}

const TOKEN_IDS = /(^|_)input_ids$|^ids$|^tokens$/;
const KV_CACHE = /^past_key_values|^past\.|\.past_|^cache_/;
const INTEGER = new Set(['int64', 'int32', 'uint64', 'uint32', 'int16', 'uint16', 'int8', 'uint8']);

export function looksLikeTransformer(specs: readonly InputSpec[]): boolean {
  return specs.some((s) => (TOKEN_IDS.test(s.name) && INTEGER.has(s.dtype)) || KV_CACHE.test(s.name));
}

/** The rows of the embedding table the token ids index: the Gather whose indices are a token-id input. */
export function vocabFromModel(proto: ModelProto): number | undefined {
  const graph = proto.graph;
  if (!graph) return undefined;
  const ids = new Set((graph.input ?? []).map((v) => v.name ?? '').filter((n) => TOKEN_IDS.test(n)));
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  let vocab: number | undefined;
  for (const n of graph.node ?? []) {
    if (n.opType !== 'Gather' || !ids.has(n.input?.[1] ?? '')) continue;
    const table = inits.get(n.input?.[0] ?? '');
    const rows = table ? tensorShape(table)[0] : undefined;
    if (rows && (vocab === undefined || rows < vocab)) vocab = rows;
  }
  return vocab;
}

/** Length of one symbolic dimension, read from its name. */
function dimension(name: string | null, inputName: string, axis: number, seq: number, past: number): number {
  const d = (name ?? '').toLowerCase();
  if (/batch/.test(d)) return 1;
  if (/past/.test(d) && /\+|total/.test(d)) return past + seq;
  if (/total|all_seq|key_seq/.test(d)) return past + seq;
  if (/past/.test(d)) return past;
  if (/seq|length|token|^s$|^t$/.test(d)) return seq;
  // Unnamed: by position in the well-known inputs.
  if (KV_CACHE.test(inputName)) return axis === 2 ? past : 1;
  if (/attention_mask/.test(inputName) && axis === 1) return past + seq;
  if (axis === 1 && (TOKEN_IDS.test(inputName) || /position_ids|token_type_ids/.test(inputName))) return seq;
  return 1;
}

function integerArray(dtype: string, values: number[]): NdArray['data'] {
  switch (dtype) {
    case 'int64': return BigInt64Array.from(values.map(BigInt));
    case 'uint64': return BigUint64Array.from(values.map(BigInt));
    case 'int32': return Int32Array.from(values);
    case 'uint32': return Uint32Array.from(values);
    case 'int16': return Int16Array.from(values);
    case 'uint16': return Uint16Array.from(values);
    case 'int8': return Int8Array.from(values);
    default: return Uint8Array.from(values);
  }
}

/**
 * A sample for a transformer graph, or undefined when the inputs do not look
 * like one (the caller then generates a generic input).
 * @throws Error naming an input whose type cannot be generated.
 */
export function transformerSample(specs: readonly InputSpec[], hints: TransformerHints = {}): Sample | undefined {
  if (!looksLikeTransformer(specs)) return undefined;
  const seq = hints.sequenceLength ?? 8;
  const past = hints.pastLength ?? 0;
  const vocab = Math.max(1, hints.vocabSize ?? 2);
  const inputs = new Map<string, NdArray>();
  for (const spec of specs) {
    const shape = spec.shape.map((d, axis) => (typeof d === 'number' && d > 0 ? d : typeof d === 'number' ? 1 : dimension(d, spec.name, axis, seq, past)));
    const n = shape.reduce((a, b) => a * b, 1);
    const name = spec.name;
    const last = shape[shape.length - 1] ?? 1;
    let data: NdArray['data'];
    if (spec.dtype === 'bool') {
      // use_cache_branch: false, the first step (the cache is empty).
      data = new Uint8Array(n);
    } else if (INTEGER.has(spec.dtype)) {
      let values: number[];
      if (TOKEN_IDS.test(name)) {
        // A spread over the vocabulary, deterministic; small vocabularies wrap.
        values = Array.from({ length: n }, (_, i) => (i * 7919 + 11) % vocab);
      } else if (/attention_mask|^mask$/.test(name)) values = new Array(n).fill(1);
      else if (/position_ids/.test(name)) values = Array.from({ length: n }, (_, i) => past + (i % last));
      else values = new Array(n).fill(0); // token_type_ids, cache_position offsets and the like
      data = integerArray(spec.dtype, values);
    } else if (spec.dtype === 'float32' || spec.dtype === 'float16' || spec.dtype === 'float64') {
      // KV-cache entries are empty at past length 0; other float inputs (encoder states) a bounded spread.
      const floats = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + 1) * 0.9);
      data = spec.dtype === 'float32' ? floats : spec.dtype === 'float16' ? float32ArrayToHalf(floats) : Float64Array.from(floats);
    } else {
      throw new Error(`input '${name}' is ${spec.dtype}`);
    }
    inputs.set(name, { dtype: spec.dtype, shape, data });
  }
  return { source: `(generated transformer input: ${seq} tokens, past length ${past})`, inputs };
}

/**
 * A transformer's sample that holds some of its inputs only (the token ids,
 * say: what a calibration set of text gives), completed to fit the ids'
 * length: attention mask of ones, positions, an empty KV cache. Undefined
 * when the model is no transformer or the sample has no token ids.
 */
export function completeTransformerInputs(specs: readonly InputSpec[], inputs: Map<string, NdArray>): Map<string, NdArray> | undefined {
  if (!looksLikeTransformer(specs)) return undefined;
  const ids = [...inputs].find(([name]) => TOKEN_IDS.test(name))?.[1];
  if (!ids) return undefined;
  const filled = transformerSample(specs, { sequenceLength: ids.shape[ids.shape.length - 1] ?? 1, pastLength: 0 })!.inputs;
  return new Map([...filled, ...inputs]);
}
