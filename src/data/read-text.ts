// Text to model inputs: `.txt` (one sample per non-empty line) or `.jsonl`
// (one object per line, the text in --text-field, default "text"),
// tokenised with the model folder's tokenizer.json by @huggingface/tokenizers
// (the tokenizer library transformers.js uses: pure JavaScript, no network,
// no native code). Fills input_ids, attention_mask, token_type_ids and
// position_ids by input name, truncated and padded to the maximum length.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { modelConfigFile } from './model-config-file.js';
import { SampleFormatError, SampleSpecError } from './errors.js';
import type { DType, NdArray } from './ndarray.js';

export interface TextOptions {
  /** tokens per sample: longer texts are truncated (default: the input's fixed length, else tokenizer.json's truncation, else 512) */
  maxLength?: number;
  /** pad every sample to maxLength (default: when the model's sequence axis is fixed) */
  pad?: boolean;
  /** .jsonl field holding the text (default "text") */
  field?: string;
}

export const TEXT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'] as const;

export interface TextPlan {
  tokenizer: Tokenizer;
  tokenizerFile: string;
  inputs: Array<{ name: string; dtype: DType }>;
  maxLength: number;
  pad: boolean;
  padId: number;
  field: string;
}

/** Loads the model folder's tokenizer and matches the model's inputs. */
export function planText(modelDir: string, specs: ReadonlyArray<{ name: string; dtype: string; shape: ReadonlyArray<number | string | null> }>,
  others: ReadonlySet<string>, opts: TextOptions): TextPlan {
  const tokenizerFile = modelConfigFile(modelDir, 'tokenizer.json');
  if (!existsSync(tokenizerFile)) {
    throw new SampleFormatError(tokenizerFile, 'text samples need the model\'s tokenizer.json beside the model, or above its onnx/ folder (none found)');
  }
  let json: Record<string, unknown>;
  let config: Record<string, unknown> = {};
  try {
    json = JSON.parse(readFileSync(tokenizerFile, 'utf8')) as Record<string, unknown>;
    const cfgFile = join(dirname(tokenizerFile), 'tokenizer_config.json');
    if (existsSync(cfgFile)) config = JSON.parse(readFileSync(cfgFile, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new SampleFormatError(tokenizerFile, `cannot read the tokenizer: ${(err as Error).message}`);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new SampleFormatError(tokenizerFile, `cannot build the tokenizer: ${(err as Error).message}`);
  }
  const inputs: TextPlan['inputs'] = [];
  let fixed: number | undefined;
  for (const s of specs) {
    if (others.has(s.name)) continue;
    if (!(TEXT_INPUTS as readonly string[]).includes(s.name)) {
      throw new SampleSpecError(`text samples fill ${TEXT_INPUTS.join(', ')}, but the model also takes '${s.name}'`);
    }
    if (!['int64', 'int32', 'float32'].includes(s.dtype)) throw new SampleSpecError(`input '${s.name}' is ${s.dtype}: token inputs must be int64, int32 or float32`);
    inputs.push({ name: s.name, dtype: s.dtype as DType });
    const last = s.shape[s.shape.length - 1];
    if (typeof last === 'number' && last > 0) fixed = last;
  }
  if (!inputs.some((i) => i.name === 'input_ids')) throw new SampleSpecError('text samples need a model input named input_ids');
  const truncation = json.truncation as { max_length?: number } | null | undefined;
  if (opts.maxLength !== undefined && fixed !== undefined && opts.maxLength !== fixed) {
    throw new SampleSpecError(`--max-length ${opts.maxLength} contradicts the model's fixed sequence length ${fixed}`);
  }
  const maxLength = opts.maxLength ?? fixed ?? truncation?.max_length ?? 512;
  const padding = json.padding as { pad_id?: number } | null | undefined;
  const padToken = typeof config.pad_token === 'string' ? tokenizer.token_to_id(config.pad_token) : undefined;
  return { tokenizer, tokenizerFile, inputs, maxLength, pad: opts.pad ?? fixed !== undefined,
    padId: padding?.pad_id ?? padToken ?? 0, field: opts.field ?? 'text' };
}

/** The texts of a .txt or .jsonl file, each with its source name (file:line). */
export function readTexts(file: string, field: string): Array<{ source: string; text: string }> {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SampleFormatError(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const out: Array<{ source: string; text: string }> = [];
  const lines = content.split(/\r?\n/);
  const jsonl = file.toLowerCase().endsWith('.jsonl');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const source = `${file}:${i + 1}`;
    if (!jsonl) {
      out.push({ source, text: line });
      continue;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new SampleFormatError(source, `not valid JSON (${(err as Error).message})`);
    }
    const text = (obj as Record<string, unknown> | null)?.[field];
    if (typeof text !== 'string') throw new SampleFormatError(source, `no string field '${field}' (set the field with --text-field)`);
    out.push({ source, text });
  }
  return out;
}

/** One text as the model's token inputs. */
export function tokenize(text: string, plan: TextPlan): Map<string, NdArray> {
  const enc = plan.tokenizer.encode(text, { add_special_tokens: true, return_token_type_ids: true });
  let ids = enc.ids;
  let mask = enc.attention_mask;
  let types = enc.token_type_ids ?? new Array<number>(ids.length).fill(0);
  if (ids.length > plan.maxLength) {
    // Truncate from the right, keeping a trailing special token (such as [SEP] or </s>) where the encoding ends with one.
    const lastSpecial = enc.tokens.length > 0 && plan.tokenizer.get_added_tokens_decoder().get(ids[ids.length - 1]!)?.special === true;
    const keep = plan.maxLength - (lastSpecial ? 1 : 0);
    const cut = (xs: number[]): number[] => (lastSpecial ? [...xs.slice(0, keep), xs[xs.length - 1]!] : xs.slice(0, keep));
    ids = cut(ids);
    mask = cut(mask);
    types = cut(types);
  }
  const length = plan.pad ? plan.maxLength : ids.length;
  const columns: Record<string, (i: number) => number> = {
    input_ids: (i) => (i < ids.length ? ids[i]! : plan.padId),
    attention_mask: (i) => (i < mask.length ? mask[i]! : 0),
    token_type_ids: (i) => (i < types.length ? types[i]! : 0),
    position_ids: (i) => i,
  };
  const out = new Map<string, NdArray>();
  for (const { name, dtype } of plan.inputs) {
    const col = columns[name]!;
    const data = dtype === 'int64' ? BigInt64Array.from({ length }, (_, i) => BigInt(col(i)))
      : dtype === 'int32' ? Int32Array.from({ length }, (_, i) => col(i)) : Float32Array.from({ length }, (_, i) => col(i));
    out.set(name, { dtype, shape: [1, length], data });
  }
  return out;
}

export function describeText(plan: TextPlan): string {
  return `text → ${plan.inputs.map((i) => i.name).join(', ')}: ${plan.tokenizerFile}, max length ${plan.maxLength}${plan.pad ? ', padded' : ''}`;
}
