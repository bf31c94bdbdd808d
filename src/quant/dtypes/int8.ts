// q8, int8, uint8: dynamic INT8 (no samples needed), as transformers.js's
// conversion script makes them with onnxruntime.quantization's dynamic
// quantizer: MatMuls with a constant weight run integer kernels
// (DynamicQuantizeMatMul here: activations quantized per call), other weights
// stored 8-bit. The three differ in the integer kernels' weight type only:
// - int8: signed weights, symmetric (per channel here; the script's default
//   is per tensor, which is less accurate for the same kernels);
// - uint8: unsigned weights with a zero point per channel (QUInt8);
// - q8 ("quantized"): the script picks uint8 when the model has Conv (for
//   onnxruntime-web's ConvInteger) and int8 otherwise; this tool never makes
//   ConvInteger (Conv weights are stored 8-bit and dequantized at load), so
//   q8 is int8.
// q8 stays dynamic with samples too: on the encoder fixture static INT8 (with
// or without attention's MatMuls quantized) was as accurate as dynamic and
// slower (`npm run bench`, encoder-int8: 0.72-0.92x float32 latency against
// 0.66-0.78x for dynamic); `quantize --int8 --calibrate` still writes static.
import { quantizeOnce, type QuantizeOptions } from '../quantize-model.js';
import type { NoCalibrationOptions } from '../quantize-dynamic.js';
import type { QuantizeReport } from '../report.js';
import type { DtypeEntry, DtypeJob, DtypeResult } from './types.js';

async function dynamicInt8(job: DtypeJob, weightType: 'int8' | 'uint8'): Promise<DtypeResult> {
  const opts: QuantizeOptions & NoCalibrationOptions = { reduceRange: job.settings.reduceRange, perTensor: job.settings.perTensor, weightType };
  const outcome = await quantizeOnce(job.model, opts, job.exclude);
  return { proto: outcome.proto, origin: outcome.origin, summary: summarize(outcome.report), notes: outcome.report.notes };
}

function summarize(r: QuantizeReport): string {
  const integer = Object.entries(r.quantized).map(([op, n]) => `${n} ${op}`).join(', ') || 'none';
  const weightOnly = r.weightOnly.reduce((a, g) => a + g.nodes.length, 0);
  return `${r.mode}: integer kernels for ${integer}; ${weightOnly} node(s) with 8-bit weights only`;
}

export const q8: DtypeEntry = {
  name: 'q8', suffix: '_quantized',
  description: 'dynamic INT8 (transformers.js\'s "quantized"): int8 weights, activations quantized per call',
  produce: (job) => dynamicInt8(job, 'int8'),
};

export const int8: DtypeEntry = {
  name: 'int8', suffix: '_int8',
  description: 'dynamic INT8 with signed int8 weights',
  produce: (job) => dynamicInt8(job, 'int8'),
};

export const uint8: DtypeEntry = {
  name: 'uint8', suffix: '_uint8',
  description: 'dynamic INT8 with unsigned uint8 weights (zero point per channel)',
  produce: (job) => dynamicInt8(job, 'uint8'),
};
