// Scale and zero point from a real range, as onnxruntime's compute_scale_zp (quant_utils.py).
//
// ORT's arithmetic, float type by float type (the reason each line below looks the way it does):
//   rmin, rmax        float32 (numpy float32 0-d arrays: tensor min/max or calibrated range)
//   rmin = minimum(rmin, 0), rmax = maximum(rmax, 0)               float32
//   [min_real_range]  rmax = max(rmax, rmin + float32(min_real_range)) float32
//   [symmetric]       absmax = maximum(|rmin|, |rmax|); rmin = -absmax; rmax = absmax
//   dr = float64(rmax - rmin)   the subtraction is float32, then widened
//   scale = dr / float64(qmax - qmin)                               float64
//   scale < finfo(float32).tiny (2^-126)  →  scale = 1, zero point = 0 (covers rmin == rmax == 0)
//   zero point, symmetric:  round((qmin + qmax) / 2.0)             half to even
//   zero point, otherwise:  round(qmin - rmin / scale)             float64, half to even, not clipped
//   scale.astype(float32)                                          stored as float32
import { roundHalfEven } from './round.js';

/** numpy.finfo(numpy.float32).tiny: the smallest normal float32. */
export const FLOAT32_TINY = 2 ** -126;

export interface ScaleZeroPoint {
  /** A float32 value (Math.fround applied), as ORT stores it. */
  scale: number;
  /** An integer within [qmin, qmax]. */
  zeroPoint: number;
}

/**
 * Scale and zero point mapping the real range [rmin, rmax] onto [qmin, qmax], bit for bit
 * as ORT's compute_scale_zp. rmin and rmax are taken as float32 values (Math.fround), as ORT
 * holds them. `minRealRange` is ORT's MinimumRealRange extra option (off when undefined).
 */
export function computeScaleZeroPoint(
  rmin: number,
  rmax: number,
  qmin: number,
  qmax: number,
  symmetric: boolean,
  minRealRange?: number,
): ScaleZeroPoint {
  if (qmin > 0 || qmax < 0) {
    throw new RangeError(`qmin and qmax must satisfy qmin <= 0 <= qmax, got qmin=${qmin}, qmax=${qmax}`);
  }
  if (qmin > qmax) throw new RangeError(`qmin ${qmin} > qmax ${qmax}`);

  // Include 0 so that it is exactly representable (qmin <= zero point <= qmax).
  // Math.min/max propagate NaN as numpy.minimum/maximum do.
  let lo = Math.min(Math.fround(rmin), 0);
  let hi = Math.max(Math.fround(rmax), 0);

  if (minRealRange !== undefined) {
    const floor = Math.fround(lo + Math.fround(minRealRange));
    hi = floor > hi ? floor : hi; // Python's max(rmax, floor) keeps rmax unless floor is larger
  }

  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }

  const dr = Math.fround(hi - lo); // float32 subtraction, widened to float64 by ORT
  const scale = dr / (qmax - qmin); // float64 division
  if (scale < FLOAT32_TINY) return { scale: 1, zeroPoint: 0 };

  const zp = symmetric
    ? roundHalfEven((qmin + qmax) / 2) // independent of scale: 0 for int8, 127 for symmetric uint8
    : roundHalfEven(qmin - lo / scale);
  return { scale: Math.fround(scale), zeroPoint: zp + 0 }; // + 0 turns a -0 into 0
}
