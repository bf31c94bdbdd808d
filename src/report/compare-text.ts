// How the reports (terminal and Markdown) write the numbers of a comparison:
// cosines, SQNR, errors, milliseconds, rates, shares and signed changes.
import { SQNR_FLOOR_DB } from '../bench/compare.js';

/** 5 decimals, more when that would round a cosine below 1 up to "1.00000". */
export function formatCosine(c: number): string {
  if (c === 1) return '1';
  for (let d = 5; d <= 9; d++) {
    const s = c.toFixed(d);
    if (Number(s) !== 1) return s;
  }
  return c.toFixed(9);
}

/** null (identical outputs) as "inf", the −∞ floor as "-inf", else one decimal. */
export function formatSqnr(db: number | null): string {
  if (db === null) return 'inf';
  if (db <= SQNR_FLOOR_DB) return '-inf';
  return db.toFixed(1);
}

/** An error magnitude: "0", 3 significant digits, or exponent form when tiny or huge. */
export function formatError(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  if (x >= 1e-3 && x < 1e5) return x.toPrecision(3);
  return x.toExponential(2);
}

/** Milliseconds with about 3 significant digits. */
export function formatMs(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** Inferences per second: thousands separated from 100 up, one decimal below. */
export function formatRate(r: number): string {
  if (!Number.isFinite(r)) return String(r);
  return r >= 100 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1);
}

/** A share (0..1) as a percentage with 2 decimals. */
export function percent(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** With an explicit sign: "+1.50", "−0.28" (a real minus sign), "±0.00". */
export function signed(x: number, decimals: number): string {
  const s = Math.abs(x).toFixed(decimals);
  if (Number(s) === 0) return `±${s}`;
  return x > 0 ? `+${s}` : `−${s}`;
}

