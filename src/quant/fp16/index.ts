// The float16 converter as a library function: model in, model out. With
// feeds, the values that would overflow float16 are measured on them first
// and their producers stay float32. q4f16 applies the 4-bit rewrite to this
// function's output (see src/quant/dtypes/).
import type ort from 'onnxruntime-node';
import { Model } from '../../onnx/model.js';
import { convertToFloat16, type Fp16Options, type Fp16Outcome } from './convert.js';
import { measureOverflow } from './overflow.js';

export interface ToFloat16Options extends Omit<Fp16Options, 'overflowing'> {
  /** Inputs to measure overflow on (a sample, or generated ones); without them nothing is measured. */
  feeds?: Record<string, ort.Tensor>;
}

export async function toFloat16(model: Model, opts: ToFloat16Options = {}): Promise<Fp16Outcome> {
  let overflowing: Set<string> | undefined;
  const notes: string[] = [];
  if (opts.feeds) {
    try {
      overflowing = (await measureOverflow(model, opts.feeds)).overflowing;
    } catch (err) {
      notes.push(`overflow not measured (the float model did not run on the check input: ${(err as Error).message.split('\n')[0]})`);
    }
  }
  const outcome = convertToFloat16(model, { ...opts, overflowing });
  outcome.notes.unshift(...notes);
  if (overflowing?.size) outcome.notes.push(`${overflowing.size} value(s) measured past float16's range: their nodes stay float32`);
  return outcome;
}

/**
 * The float16 model as a Model, for a rewrite that continues from it (q4f16:
 * the 4-bit rewrite applied to this): converted tensors are inline float16,
 * the others still read from `model`'s file and external data. Close it
 * after use.
 */
export async function toFloat16Model(model: Model, opts: ToFloat16Options = {}): Promise<{ model: Model; outcome: Fp16Outcome }> {
  const outcome = await toFloat16(model, opts);
  return { model: new Model(outcome.proto, model.file, model.fileSize), outcome };
}

/** One line: what the conversion did. */
export function describeFloat16(o: Fp16Outcome): string {
  const kept = [...o.float32.values()].reduce((a, l) => a + l.length, 0);
  return `${o.float16Nodes} nodes float16, ${kept} float32, ${o.casts} Casts`;
}

export { convertToFloat16 };
export type { Fp16Options, Fp16Outcome };
