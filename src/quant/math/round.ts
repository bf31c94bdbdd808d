// Round half to even, as numpy's np.rint / np.round (and ONNX QuantizeLinear) do.
// Math.round is wrong for this job: it rounds halves up (Math.round(2.5) === 3,
// Math.round(-2.5) === -2), where ORT's quantizer gives 2 and -2.

/** 1.5 · 2^52. Adding it to |x| < 2^51 lands in [2^52, 2^53), where a double's
 *  spacing is exactly 1, so the FPU's own round-to-nearest-even does the rounding;
 *  subtracting it again is exact. Its ulp-1 neighbourhood is even, so ties go to even. */
export const ROUND_MAGIC = 6755399441055744;

const TWO_51 = 2251799813685248;
const TWO_52 = 4503599627370496;

/**
 * Rounds to the nearest integer, ties to even, exactly like np.rint for every double:
 * keeps the sign of zero (-0.4 → -0), leaves ±Infinity and NaN as they are.
 *
 * The common case (|x| < 2^51) is the branch-free magic-number add/subtract. Between 2^51
 * and 2^52 a double can still hold a .5 (spacing 0.5), so the same trick is done with 2^52
 * on the magnitude; at 2^52 and above every double is already an integer.
 *
 * The quantize kernels inline the bare `(v + ROUND_MAGIC) - ROUND_MAGIC` instead: there the
 * result is clipped to an 8/16/32-bit range right after, so neither the sign of zero nor
 * magnitudes past 2^51 (which the trick mangles but keeps far outside any such range) matter.
 */
export function roundHalfEven(x: number): number {
  if (x > -TWO_51 && x < TWO_51) {
    const r = x + ROUND_MAGIC - ROUND_MAGIC;
    // x + M - M is +0 for x in [-0.5, 0.5]; np.rint keeps the sign of x there (x * 0 does).
    return r === 0 ? x * 0 : r;
  }
  if (x >= TWO_51 && x < TWO_52) return x + TWO_52 - TWO_52;
  if (x <= -TWO_51 && x > -TWO_52) return x - TWO_52 + TWO_52;
  return x; // |x| >= 2^52 (already an integer), ±Infinity, NaN
}
