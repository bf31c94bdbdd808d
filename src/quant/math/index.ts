// The quantization math in one import: pure functions on typed arrays, no ONNX or graph knowledge.
export { roundHalfEven, ROUND_MAGIC } from './round.js';
export { qRange, typeRange, newQuantizedArray } from './ranges.js';
export type { QuantType, QuantizedArray, RangeOptions, QRange } from './ranges.js';
export { computeScaleZeroPoint, FLOAT32_TINY } from './scale.js';
export type { ScaleZeroPoint } from './scale.js';
export {
  channelLayout,
  quantTypeOf,
  quantizeLinear,
  quantizePerTensor,
  quantizePerChannel,
  computePerChannelParams,
  computePerTensorParams,
  quantizePerChannelWith,
  dequantizeLinear,
  dequantizePerChannel,
  setWasmKernels,
} from './quantize.js';
export type { QuantizeOptions, PerTensorResult, PerChannelResult, ChannelLayout } from './quantize.js';
export { quantizeBias, adjustWeightScalesForBias } from './bias.js';
export type { QuantizedBias, AdjustedWeightScales } from './bias.js';
