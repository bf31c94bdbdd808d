// The terminal form of a BenchReport (bench/bench.ts): a header with sizes and
// the providers found, then one block per provider that ran (fidelity,
// accuracy, latency, batch sweep and cost, memory, placement), then the gates.
// Changes are coloured by direction: green better, red worse, yellow within
// noise.
import { basename } from 'node:path';
import chalk from 'chalk';
import { formatBytes, heading, table } from '../cli/format.js';
import type { BenchReport, ProviderBench } from '../bench/bench.js';
import type { LatencyStats } from '../bench/latency.js';
import type { MemoryResult } from '../bench/memory.js';
import type { ProviderPlacement } from '../bench/placement.js';
import { formatCosine, formatError, formatMs, formatRate, formatSqnr, percent, signed } from './compare-text.js';

export function formatBench(report: BenchReport): string {
  const out: string[] = [];
  const ratio = report.sizeRatio;
  const ratioText = `${ratio.toFixed(2)}× (${signed((ratio - 1) * 100, 1)}%)`;
  out.push(`${heading('Bench')} ${basename(report.original.file)} (${formatBytes(report.original.bytes)}) → ` +
    `${basename(report.quantized.file)} (${formatBytes(report.quantized.bytes)})  ` +
    `${ratio < 1 ? chalk.green(ratioText) : ratio > 1 ? chalk.red(ratioText) : ratioText}`);
  const d = report.data;
  const dataText = d.source === 'generated' ? chalk.yellow('a generated input (no --data)') : d.source ?? 'the samples given';
  out.push(chalk.dim(`data: ${d.samples ?? '?'} sample${d.samples === 1 ? '' : 's'} from ${dataText}${d.labels ? `, labels ${d.labels}` : ''}`));
  out.push(...providerSummary(report.providers));

  for (const p of report.providers) {
    if (p.status !== 'ran') continue;
    out.push('');
    out.push(providerBlock(p, report));
  }

  if (report.gates.length) {
    out.push('');
    out.push(heading('Gates'));
    for (const g of report.gates) out.push(`${g.passed ? chalk.green('pass') : chalk.red('FAIL')}  ${g.message}`);
  }
  return out.join('\n');
}

/** Which providers ran, which were skipped and why (one line each), and those not in this build (one line for all). */
export function providerSummary(providers: readonly ProviderBench[]): string[] {
  const lines: string[] = [];
  const ran = providers.filter((p) => p.status === 'ran').map((p) => p.name);
  lines.push(`providers: ${ran.length ? chalk.green(ran.join(', ')) : chalk.red('none ran')}`);
  const notBuilt: string[] = [];
  for (const p of providers) {
    if (p.status === 'ran') continue;
    if (!p.inBuild && p.status === 'skipped') {
      notBuilt.push(p.name);
      continue;
    }
    lines.push(`  ${chalk.yellow(`${p.name} ${p.status}`)}: ${p.reason ?? ''}`);
    if (p.hint) lines.push(chalk.dim(`    ${p.hint}`));
  }
  if (notBuilt.length) lines.push(chalk.dim(`  not in this build of onnxruntime-node: ${notBuilt.join(', ')}`));
  return lines;
}

function providerBlock(p: ProviderBench, report: BenchReport): string {
  const out: string[] = [];
  const l = p.latency!;
  const cores = report.host.physicalCores;
  const threads = l.threads === null ? `ONNX Runtime's default threads (one per physical core${cores ? `: ${cores}` : ''})` : `${l.threads} thread${l.threads === 1 ? '' : 's'}`;
  out.push(chalk.bold.inverse(` ${p.name} `) + chalk.dim(`  ${threads}, batch ${l.batch}`));

  // ---- fidelity and accuracy
  out.push(heading(`Fidelity (${p.samples} sample${p.samples === 1 ? '' : 's'})`));
  const outputs = p.outputs ?? [];
  const anyNonFinite = outputs.some((o) => o.nonFinite > 0);
  const header = ['output', 'cosine', 'SQNR dB', 'max abs err', 'mean abs err', 'top-1 agree'];
  if (anyNonFinite) header.push('NaN/inf');
  out.push(table(outputs.map((o) => {
    const row = [
      o.name,
      o.cosine >= 0.999 ? chalk.green(formatCosine(o.cosine)) : o.cosine >= 0.99 ? chalk.yellow(formatCosine(o.cosine)) : chalk.red(formatCosine(o.cosine)),
      formatSqnr(o.sqnrDb),
      formatError(o.maxAbsError),
      formatError(o.meanAbsError),
      o.top1Agreement === undefined ? chalk.dim('-') : o.top1Agreement >= 0.99 ? chalk.green(percent(o.top1Agreement))
        : o.top1Agreement >= 0.95 ? chalk.yellow(percent(o.top1Agreement)) : chalk.red(percent(o.top1Agreement)),
    ];
    if (anyNonFinite) row.push(o.nonFinite ? chalk.red(String(o.nonFinite)) : '0');
    return row;
  }), header));
  if (p.accuracy) {
    const a = p.accuracy;
    let line = `top-1 accuracy ${percent(a.original)} → ${percent(a.quantized)} ${pointsDelta(-a.drop)}`;
    if (a.top5) line += `   top-5 ${percent(a.top5.original)} → ${percent(a.top5.quantized)} ${pointsDelta(-a.top5.drop)}`;
    out.push(line + chalk.dim(`  ${a.labeled} labeled, output '${a.output}'`));
  } else if (p.accuracySkipped) {
    out.push(chalk.yellow(`accuracy not measured: ${p.accuracySkipped}`));
  }
  if (p.custom) {
    for (const v of p.custom.values) {
      const better = p.custom.higherIsBetter ? v.delta > 0 : v.delta < 0;
      const deltaText = `(${v.delta >= 0 ? '+' : '−'}${formatNumber(Math.abs(v.delta))})`;
      const coloured = v.delta === 0 ? chalk.dim(deltaText) : better ? chalk.green(deltaText) : chalk.red(deltaText);
      out.push(`metric ${p.custom.name}${v.key === p.custom.name ? '' : ` ${v.key}`}: ${formatNumber(v.original)} → ${formatNumber(v.quantized)} ${coloured}` +
        chalk.dim(`  ${v.samples} samples, ${p.custom.higherIsBetter ? 'higher' : 'lower'} is better`));
    }
  }
  out.push('');

  // ---- latency
  out.push(heading(`Latency (ms; ${l.original.runs} runs each, interleaved in turns)`));
  const row = (name: string, s: LatencyStats): string[] =>
    [name, formatMs(s.median), formatMs(s.p90), formatMs(s.p99), formatMs(s.mean), formatRate(s.throughput)];
  const change = (a: number, b: number, lowerIsBetter: boolean): string => relativeChange(a, b, lowerIsBetter, 0.02);
  out.push(table([
    row('original', l.original),
    row('quantized', l.quantized),
    ['change', change(l.original.median, l.quantized.median, true), change(l.original.p90, l.quantized.p90, true),
      change(l.original.p99, l.quantized.p99, true), change(l.original.mean, l.quantized.mean, true),
      change(l.original.throughput, l.quantized.throughput, false)],
  ], ['', 'median', 'p90', 'p99', 'mean', 'inferences/s']));
  out.push(speedupLine(l.speedup, l.speedupInterval));

  // ---- batch sweep and cost
  const costByBatch = new Map((p.cost ?? []).map((c) => [c.batch, c]));
  const price = report.settings.pricePerHour;
  if (p.batches?.length) {
    out.push('');
    out.push(heading('Batch sizes') + chalk.dim(price !== null ? `  (cost per million inferences at ${price}/hour, one stream)` : ''));
    const rows = p.batches.map((b) => {
      if (!b.original || !b.quantized) return [String(b.batch), chalk.dim(`skipped: ${b.skipped ?? ''}`)];
      const r = [String(b.batch), formatMs(b.original.median), formatMs(b.quantized.median), formatRate(b.original.throughput),
        formatRate(b.quantized.throughput), speedupCell(b.speedup!, b.speedupInterval)];
      const c = costByBatch.get(b.batch);
      if (price !== null) r.push(c ? formatPrice(c.original) : '-', c ? formatPrice(c.quantized) : '-', c ? savingCell(c.saving) : '-');
      return r;
    });
    const h = ['batch', 'orig ms', 'quant ms', 'orig inf/s', 'quant inf/s', 'speed-up'];
    if (price !== null) h.push('orig cost/M', 'quant cost/M', 'saving');
    out.push(table(rows, h));
  } else if (p.cost?.length) {
    const c = p.cost[0]!;
    out.push(`cost per million inferences at ${price}/hour (one stream, batch ${c.batch}): ` +
      `${formatPrice(c.original)} → ${formatPrice(c.quantized)} ${savingCell(c.saving)}`);
  }

  // ---- memory
  if (p.memory) {
    const m = p.memory;
    out.push('');
    out.push(heading(`Memory (each model in its own process, ${m.original.runs} runs)`));
    const mrow = (name: string, fileBytes: number, r: MemoryResult): string[] =>
      [name, formatBytes(fileBytes), formatMs(r.loadMs), formatBytes(r.peakRssBytes), formatBytes(r.sessionRssBytes)];
    out.push(table([
      mrow('original', report.original.bytes, m.original),
      mrow('quantized', report.quantized.bytes, m.quantized),
      ['change', relativeChange(report.original.bytes, report.quantized.bytes, true, 0.005),
        relativeChange(m.original.loadMs, m.quantized.loadMs, true, 0.05),
        relativeChange(m.original.peakRssBytes, m.quantized.peakRssBytes, true, 0.02),
        relativeChange(m.original.sessionRssBytes, m.quantized.sessionRssBytes, true, 0.02)],
    ], ['', 'file', 'load ms', 'peak RSS', 'session RSS']));

    const po = m.original.placement;
    const pq = m.quantized.placement;
    if (po || pq) {
      out.push(chalk.dim('nodes run, per provider (after graph optimisation, from ONNX Runtime\'s profile):'));
      out.push(`  original   ${placementText(po)}`);
      out.push(`  quantized  ${placementText(pq)}`);
    } else if (m.quantized.placementError) {
      out.push(chalk.dim(`placement unknown: ${m.quantized.placementError}`));
    }
  } else if (p.memorySkipped) {
    out.push(chalk.dim(`memory not measured: ${p.memorySkipped}`));
  }
  return out.join('\n');
}

function placementText(placement: ProviderPlacement[] | null): string {
  if (!placement) return chalk.dim('unknown');
  return placement.map((pp) => `${pp.provider} ${pp.nodes} node${pp.nodes === 1 ? '' : 's'} ` +
    chalk.dim(`(${pp.ops.map((o) => `${o.op} ${o.count}`).join(', ')})`)).join('; ');
}

/** "(+0.28 pt)" coloured: positive is better. */
function pointsDelta(delta: number): string {
  const text = `(${signed(delta, 2)} pt)`;
  return Math.abs(delta) < 0.005 ? chalk.dim(text) : delta > 0 ? chalk.green(text) : chalk.red(text);
}

/** (b − a) / a as a signed percentage, green when it moves the better way, dim within `noise`. */
export function relativeChange(a: number, b: number, lowerIsBetter: boolean, noise: number): string {
  if (!(a > 0) || !Number.isFinite(a) || !Number.isFinite(b)) return chalk.dim('-');
  const rel = (b - a) / a;
  const text = `${signed(rel * 100, 1)}%`;
  if (Math.abs(rel) < noise) return chalk.dim(text);
  const better = lowerIsBetter ? rel < 0 : rel > 0;
  return better ? chalk.green(text) : chalk.red(text);
}

function speedupLine(speedup: number, iv: { low: number; high: number; confidence: number }): string {
  const ivText = Number.isFinite(iv.low) && Number.isFinite(iv.high)
    ? ` (${Math.round(iv.confidence * 100)}% CI ${iv.low.toFixed(2)}–${iv.high.toFixed(2)}×)`
    : '';
  const noise = iv.low > 1 || iv.high < 1 ? '' : chalk.yellow(' within noise');
  return `speed-up ${speedupCell(speedup, iv)}${chalk.dim(ivText)}${noise}`;
}

function speedupCell(speedup: number, iv?: { low: number; high: number }): string {
  const text = `${speedup.toFixed(2)}×`;
  if (!iv) return text;
  if (iv.low > 1) return chalk.green(text);
  if (iv.high < 1) return chalk.red(text);
  return chalk.yellow(text);
}

function savingCell(saving: number | null): string {
  if (saving === null) return '-';
  const text = `${signed(saving * 100, 1)}%`;
  return Math.abs(saving) < 0.01 ? chalk.dim(text) : saving > 0 ? chalk.green(text) : chalk.red(text);
}

/** A price with 4 significant digits (cost per million inferences can be fractions of a cent). */
export function formatPrice(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  if (x >= 100) return x.toFixed(2);
  return x.toPrecision(4);
}

/** A metric value: 4 significant digits, exponent form when tiny or huge. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return Number(x.toPrecision(4)).toString();
  return x.toExponential(3);
}
