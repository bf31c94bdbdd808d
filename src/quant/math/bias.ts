// Int32 bias quantization for QDQ Conv / Gemm / MatMul+Add, as onnxruntime does it
// (base_quantizer.py quantize_bias_static_impl, qdq_quantizer.py _adjust_weight_scale_for_int32_bias).
import { roundHalfEven } from './round.js';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export interface QuantizedBias {
  /** round(bias / bias_scale), clipped to int32. */
  data: Int32Array;
  /** bias_scale = input_scale × weight_scale (× beta), float32; one per weight scale. Zero point is 0. */
  scales: Float32Array;
  /** True when some value fell outside int32 and was clipped (ORT logs a warning then). */
  clipped: boolean;
}

/**
 * Quantizes a float bias to int32 with zero point 0 and scale input_scale × weight_scale:
 *
 *   bias_scale = float32(input_scale) × float32(weight_scale) [× beta]   float32 product
 *   q          = round(float64(bias) / float64(bias_scale))           float64, half to even
 *   q          = clip(q, int32 min, int32 max)
 *
 * ORT multiplies the two float32 scale initializers as numpy float32 arrays, so the product
 * is rounded to float32 before the (float64) division. `beta` (ORT's extra bias-scale factor,
 * 1 unless the op rule passes one) is applied in float32 as numpy 2 does; numpy 1 widened a
 * per-tensor product to float64 there, which can only make a difference when beta != 1.
 *
 * With one weight scale every element uses it; with several (per-channel weights) element i
 * uses weightScales[i], so bias.length must equal weightScales.length.
 * A NaN quotient (0/0 when both bias and the underflowed bias_scale are 0) gives int32 min,
 * which is what numpy's float64→int32 cast gives on x86.
 */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: ArrayLike<number>,
  beta = 1,
): QuantizedBias {
  const n = weightScales.length;
  if (n !== 1 && n !== bias.length) {
    throw new RangeError(`bias has ${bias.length} elements but there are ${n} weight scales`);
  }
  const inScale = Math.fround(inputScale);
  const scales = new Float32Array(n);
  for (let c = 0; c < n; c++) {
    let s = Math.fround(inScale * Math.fround(weightScales[c]!));
    if (beta !== 1) s = Math.fround(s * beta);
    scales[c] = s;
  }
  const data = new Int32Array(bias.length);
  let clipped = false;
  for (let i = 0; i < bias.length; i++) {
    const q = roundHalfEven(bias[i]! / scales[n === 1 ? 0 : i]!);
    if (q < INT32_MIN) {
      data[i] = INT32_MIN;
      clipped = true;
    } else if (q > INT32_MAX) {
      data[i] = INT32_MAX;
      clipped = true;
    } else if (q !== q) {
      data[i] = INT32_MIN;
    } else {
      data[i] = q;
    }
  }
  return { data, scales, clipped };
}

export interface AdjustedWeightScales {
  /** The weight scales to use (a new array; the input is not modified). */
  scales: Float32Array;
  /** True when at least one scale was enlarged: the weight must be quantized again with `scales`. */
  adjusted: boolean;
}

/** ORT's margin: the enlarged bias scale is 1.0001 × the smallest one that fits. */
const MULTIPLICATIVE_EPSILON = 1.0001;
/** int32 max - (int32 min + 1) = 2^32 - 2: the symmetric int32 range, in float64. */
const INT32_QRANGE = INT32_MAX - (INT32_MIN + 1);

/**
 * Enlarges weight scales whose bias scale (input_scale × weight_scale) is too small for the bias
 * to fit in int32, as ORT's QDQ quantizer does before it quantizes weights and biases
 * (_adjust_weight_scale_for_int32_bias, onnxruntime ≥ 1.20; QDQDisableWeightAdjustForInt32Bias
 * turns it off there). The rule, all in float64:
 *
 *   smallest = 1.0001 × (2 × absmax) / (2^32 - 2)
 *       absmax = max |bias| over the whole bias (and 0) when per tensor,
 *                |bias[i]| for channel i when per channel
 *   candidate = float64(input_scale) × float64(weight_scale)      (not rounded to float32 here)
 *   if 0 < candidate < smallest:
 *       weight_scale = float32(weight_scale × (smallest / candidate))
 *
 * so the bias scale becomes (just over) 2·absmax / (2^32 - 2) and round(bias / bias_scale) stays
 * within ±(2^31 - 1). Scales already large enough, and zero candidates, are left alone.
 * The caller re-quantizes the weight with the returned scales (same zero points) and then
 * quantizes the bias with them. ORT applies this only to weights quantized with a zero point of
 * 0 (symmetric int8/int16 weights): enlarging the scale of an asymmetric weight would move it.
 *
 * perChannel: weightScales has one scale per output channel and bias one value per channel.
 * Otherwise weightScales has exactly one scale.
 */
export function adjustWeightScalesForBias(
  inputScale: number,
  weightScales: ArrayLike<number>,
  bias: Float32Array,
  perChannel: boolean,
): AdjustedWeightScales {
  const scales = Float32Array.from(weightScales);
  if (scales.length === 0) return { scales, adjusted: false };
  const inScale = Math.fround(inputScale);
  let adjusted = false;

  const enlarge = (c: number, absmax: number): void => {
    const smallest = (MULTIPLICATIVE_EPSILON * (2 * absmax)) / INT32_QRANGE;
    const w = scales[c]!;
    const candidate = inScale * w;
    if (candidate < smallest && candidate > 0) {
      scales[c] = w * (smallest / candidate);
      adjusted = true;
    }
  };

  if (!perChannel) {
    if (scales.length !== 1) throw new RangeError(`per-tensor adjustment takes 1 weight scale, got ${scales.length}`);
    let absmax = 0;
    for (let i = 0; i < bias.length; i++) {
      const a = Math.abs(bias[i]!);
      if (a > absmax) absmax = a;
    }
    enlarge(0, absmax);
  } else {
    if (bias.length !== scales.length) {
      throw new RangeError(`per-channel adjustment needs one bias value per scale: ${bias.length} vs ${scales.length}`);
    }
    for (let c = 0; c < scales.length; c++) enlarge(c, Math.abs(bias[c]!));
  }
  return { scales, adjusted };
}
