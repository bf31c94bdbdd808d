// q4, q4f16, bnb4, q2, q2f16: the low-bit transformers.js dtypes, produced by
// src/quant/nbits/ (MatMulNBits at 4 and 2 bits, MatMulBnb4 for bnb4). The
// f16 forms apply the same rewrite to the float16 model (fp16/index.ts), so
// their scales and activations are float16, as transformers.js's q4f16 files
// have them. The user's low-bit options (--block-size, --sym, --algorithm,
// ...) arrive in the settings; --calibrate makes GPTQ the method.
import type { Model } from '../../onnx/model.js';
import { toFloat16Model } from '../fp16/index.js';
import { quantizeNBits } from '../nbits/quantize-nbits.js';
import type { NBitsOptions } from '../nbits/options.js';
import type { DtypeEntry, DtypeJob, DtypeResult } from './types.js';

/** The low-bit options for this job: the dtype's own, then what the command line set. */
function nbitsOptions(job: DtypeJob, own: NBitsOptions): NBitsOptions {
  const s = job.settings;
  const given = (s.extra.nbits ?? {}) as NBitsOptions;
  return {
    ...given,
    ...(s.blockSize !== undefined ? { blockSize: s.blockSize } : {}),
    ...(s.symmetric !== undefined ? { symmetric: s.symmetric } : {}),
    ...(s.accuracyLevel !== undefined ? { accuracyLevel: s.accuracyLevel } : {}),
    ...(s.calibrate !== undefined ? { calibrate: s.calibrate } : {}),
    ...own,
    // --format qdq is a form of q4; bnb4 is its own format.
    ...(own.format === undefined && given.format ? { format: given.format } : {}),
    exclude: job.exclude,
  };
}

async function lowBit(job: DtypeJob, own: NBitsOptions, half: boolean): Promise<DtypeResult> {
  let model: Model = job.model;
  const notes: string[] = [];
  if (half) {
    const f = await toFloat16Model(job.model, { keepIoTypes: job.settings.keepIoTypes, target: job.settings.fp16Target, exclude: job.exclude, feeds: job.feeds });
    model = f.model;
    notes.push(...f.outcome.notes);
  }
  const o = await quantizeNBits(model, nbitsOptions(job, own));
  const written = Object.entries(o.report.quantized).map(([op, n]) => `${n} ${op}`).join(', ');
  return {
    proto: o.proto, origin: o.origin,
    summary: `${o.report.modeReason}${half ? ', on the float16 model' : ''}: ${written}`,
    notes: [...notes, ...o.report.notes],
  };
}

/** A low-bit dtype: transformers.js's name (its suffix is `_<name>`), and how it is made. */
function lowBitDtype(name: string, description: string, own: NBitsOptions, half: boolean): DtypeEntry {
  return { name, suffix: `_${name}`, description, checkPrepacked: true, produce: (job) => lowBit(job, own, half) };
}

export const q4 = lowBitDtype('q4', '4-bit weights (MatMulNBits, block 32, zero points, accuracy_level 4; GPTQ with --calibrate)', { bits: 4 }, false);
export const q4f16 = lowBitDtype('q4f16', 'q4 on the float16 model: 4-bit weights, float16 scales and activations', { bits: 4 }, true);
export const bnb4 = lowBitDtype('bnb4', '4-bit NF4 weights (MatMulBnb4, block 64; --quant-type fp4)', { format: 'bnb4' }, false);
export const q2 = lowBitDtype('q2', '2-bit weights (MatMulNBits, block 32, zero points, accuracy_level 4; GPTQ with --calibrate)', { bits: 2 }, false);
export const q2f16 = lowBitDtype('q2f16', 'q2 on the float16 model', { bits: 2 }, true);
