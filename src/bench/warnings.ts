// Warnings about a comparison that the user should read even when nothing
// failed: outputs with NaN/infinite values, outputs whose cosine similarity
// fell below a threshold.
import type { CompareResult } from './compare.js';

/**
 * One line per output whose fidelity is suspect, worst first: outputs with
 * NaN/infinite values (in either model) before all others, then those with
 * cosine below `threshold`, lowest cosine first.
 */
export function fidelityWarnings(result: Pick<CompareResult, 'outputs'>, threshold = 0.99): string[] {
  const bad = result.outputs.filter((o) => o.nonFinite > 0 || !(o.cosine >= threshold));
  bad.sort((a, b) => (b.nonFinite > 0 ? 1 : 0) - (a.nonFinite > 0 ? 1 : 0) || nanLow(a.cosine) - nanLow(b.cosine));
  return bad.map((o) => {
    if (o.nonFinite > 0) {
      return `output '${o.name}' has ${o.nonFinite} NaN or infinite value${o.nonFinite === 1 ? '' : 's'} ` +
        `(of ${o.nonFinite + o.elements}); fidelity is measured on the rest`;
    }
    return `output '${o.name}' cosine ${cosineBelow(o.cosine, threshold)} (< ${threshold}): quantization damaged it`;
  });
}

const nanLow = (x: number): number => (Number.isNaN(x) ? -Infinity : x);

/** The cosine with enough decimals (4 at least) that it reads as below the threshold. */
function cosineBelow(c: number, threshold: number): string {
  for (let d = 4; d <= 9; d++) {
    const s = c.toFixed(d);
    if (Number(s) < threshold) return s;
  }
  return String(c);
}

