// The lines that say which activation ranges --method auto clipped, and by how much.
import type { ClippedTensor } from '../quant/report.js';

const num = (x: number): string => (Math.abs(x) >= 1000 || (Math.abs(x) < 0.01 && x !== 0) ? x.toExponential(2) : x.toFixed(3));

export function formatClipping(clipped: readonly ClippedTensor[], limit = 6): string[] {
  if (clipped.length === 0) return ['ranges: no activation range clipped (every observed range had the smallest quantization error)'];
  const lines = [`ranges: ${clipped.length} activation range${clipped.length === 1 ? '' : 's'} clipped where that lowered the measured quantization error:`];
  for (const c of clipped.slice(0, limit)) {
    const span = (r: { min: number; max: number }) => Math.max(r.max, 0) - Math.min(r.min, 0);
    lines.push(`  ${c.tensor}: [${num(c.observed.min)}, ${num(c.observed.max)}] → [${num(c.range.min)}, ${num(c.range.max)}] ` +
      `(${(span(c.observed) / span(c.range)).toFixed(1)}× narrower, ${(c.share * 100).toPrecision(2)}% of values cut)`);
  }
  if (clipped.length > limit) lines.push(`  … and ${clipped.length - limit} more (--json lists all)`);
  return lines;
}
