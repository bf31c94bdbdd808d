// The terminal form of an original-vs-quantized comparison (bench/compare.ts):
// size, per-output fidelity, top-1 accuracy, latency. Changes are coloured by
// direction: green better, red worse, yellow for "within noise" or borderline.
import { basename } from 'node:path';
import chalk from 'chalk';
import { formatBytes, heading, table } from '../cli/format.js';
import { SQNR_FLOOR_DB, type CompareResult } from '../bench/compare.js';

export { fidelityWarnings } from '../bench/warnings.js';

export interface FormatComparisonOptions {
  /** cosine below this is shown red (default 0.99, as fidelityWarnings) */
  cosineThreshold?: number;
}

export function formatComparison(result: CompareResult, options: FormatComparisonOptions = {}): string {
  const threshold = options.cosineThreshold ?? 0.99;
  const out: string[] = [];

  // ---- size
  out.push(heading('Size'));
  const ratio = result.sizeRatio;
  const change = (ratio - 1) * 100;
  const ratioText = `${ratio.toFixed(2)}× (${signed(change, 1)}%)`;
  out.push(table([
    ['original', basename(result.original.file), formatBytes(result.original.bytes), ''],
    ['quantized', basename(result.quantized.file), formatBytes(result.quantized.bytes),
      ratio < 1 ? chalk.green(ratioText) : ratio > 1 ? chalk.red(ratioText) : ratioText],
  ]));
  out.push('');

  // ---- fidelity
  out.push(heading(`Fidelity (${result.samples} sample${result.samples === 1 ? '' : 's'})`));
  const anyNonFinite = result.outputs.some((o) => o.nonFinite > 0);
  const header = ['output', 'cosine', 'SQNR dB', 'max abs err', 'mean abs err', 'top-1 agree'];
  if (anyNonFinite) header.push('NaN/inf');
  out.push(table(result.outputs.map((o) => {
    const row = [
      o.name,
      colourCosine(o.cosine, threshold),
      formatSqnr(o.sqnrDb),
      formatError(o.maxAbsError),
      formatError(o.meanAbsError),
      o.top1Agreement === undefined ? chalk.dim('-') : colourAgreement(o.top1Agreement),
    ];
    if (anyNonFinite) row.push(o.nonFinite ? chalk.red(String(o.nonFinite)) : '0');
    return row;
  }), header));

  // ---- accuracy
  if (result.accuracy) {
    const a = result.accuracy;
    const delta = -a.drop; // points gained by quantizing
    const deltaText = `(${signed(delta, 2)} pt)`;
    const coloured = Math.abs(delta) < 0.005 ? chalk.dim(deltaText) : delta > 0 ? chalk.green(deltaText) : chalk.red(deltaText);
    out.push('');
    let top5 = '';
    if (a.top5) {
      const d5 = -a.top5.drop;
      const t5 = `(${signed(d5, 2)} pt)`;
      top5 = `   top-5 ${percent(a.top5.original)} → ${percent(a.top5.quantized)} ` +
        (Math.abs(d5) < 0.005 ? chalk.dim(t5) : d5 > 0 ? chalk.green(t5) : chalk.red(t5));
    }
    out.push(`top-1 accuracy ${percent(a.original)} → ${percent(a.quantized)} ${coloured}${top5}` +
      chalk.dim(`  ${a.labeled} labeled, output '${a.output}'`));
  } else if (result.accuracySkipped) {
    out.push('');
    out.push(chalk.yellow(`top-1 accuracy not measured: ${result.accuracySkipped}`));
  }
  out.push('');

  // ---- latency
  const l = result.latency;
  const threads = l.threads === null ? 'default threads' : `${l.threads} thread${l.threads === 1 ? '' : 's'}`;
  out.push(heading(`Latency (${l.providers.join(', ')}, ${threads}, batch ${l.batch}, ${l.original.runs} runs each)`));
  out.push(table([
    ['original', formatMs(l.original.median), formatMs(l.original.p90), formatRate(l.original.throughput)],
    ['quantized', formatMs(l.quantized.median), formatMs(l.quantized.p90), formatRate(l.quantized.throughput)],
  ], ['', 'median ms', 'p90 ms', 'inferences/s']));
  const iv = l.speedupInterval;
  const ivText = Number.isFinite(iv.low) && Number.isFinite(iv.high)
    ? ` (${Math.round(iv.confidence * 100)}% CI ${iv.low.toFixed(2)}–${iv.high.toFixed(2)}×)`
    : '';
  const speedText = `${l.speedup.toFixed(2)}×`;
  let speed: string;
  if (iv.low > 1) speed = chalk.green(speedText);
  else if (iv.high < 1) speed = chalk.red(speedText);
  else speed = chalk.yellow(speedText);
  const noise = iv.low > 1 || iv.high < 1 ? '' : chalk.yellow(' within noise');
  out.push(`speed-up ${speed}${chalk.dim(ivText)}${noise}`);
  return out.join('\n');
}

/** 5 decimals, more when that would round a cosine below 1 up to "1.00000". */
export function formatCosine(c: number): string {
  if (c === 1) return '1';
  for (let d = 5; d <= 9; d++) {
    const s = c.toFixed(d);
    if (Number(s) !== 1) return s;
  }
  return c.toFixed(9);
}

function colourCosine(c: number, threshold: number): string {
  const s = formatCosine(c);
  if (!(c >= threshold)) return chalk.red(s);
  if (c < 0.999) return chalk.yellow(s);
  return chalk.green(s);
}

function colourAgreement(a: number): string {
  const s = percent(a);
  if (a >= 0.99) return chalk.green(s);
  if (a >= 0.95) return chalk.yellow(s);
  return chalk.red(s);
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

