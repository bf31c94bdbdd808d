// A BenchReport as Markdown (`quantize bench --report report.md`): the same
// facts as the terminal table, as headings and pipe tables that render on
// GitHub, in a pull request comment or a CI summary.
import { basename } from 'node:path';
import { formatBytes } from '../cli/format.js';
import type { BenchReport, ProviderBench } from '../bench/bench.js';
import type { LatencyStats } from '../bench/latency.js';
import type { MemoryResult } from '../bench/memory.js';
import type { ProviderPlacement } from '../bench/placement.js';
import { formatCosine, formatError, formatMs, formatRate, formatSqnr, percent, signed } from './compare-text.js';
import { formatNumber, formatPrice } from './bench-text.js';

export function formatBenchMarkdown(report: BenchReport): string {
  const out: string[] = [];
  const o = report.original;
  const q = report.quantized;
  out.push(`# Benchmark: ${code(basename(o.file))} → ${code(basename(q.file))}`);
  out.push('');
  out.push(mdTable(['', 'file', 'size'], [
    ['original', code(o.file), formatBytes(o.bytes)],
    ['quantized', code(q.file), `${formatBytes(q.bytes)} (${report.sizeRatio.toFixed(2)}×, ${signed((report.sizeRatio - 1) * 100, 1)}%)`],
  ]));
  out.push('');
  const d = report.data;
  out.push(`- data: ${d.samples ?? '?'} samples from ${d.source === 'generated' ? 'a generated input (no --data)' : d.source ? code(d.source) : 'the samples given'}` +
    (d.labels ? `, labels ${code(d.labels)}` : ''));
  const s = report.settings;
  out.push(`- threads: ${s.threads ?? `ONNX Runtime default (one per physical core${report.host.physicalCores ? `: ${report.host.physicalCores}` : ''})`}; latency: ${s.latency.warmupRuns} warm-up runs, then at least ${s.latency.minRuns} runs ` +
    `and ${s.latency.minTimeMs} ms, original and quantized interleaved`);
  out.push(`- ${report.tool.name} ${report.tool.version}, ${report.runtime.name} ${report.runtime.version}, ` +
    `${report.host.cpu} (${report.host.logicalCpus} logical CPUs), ${report.host.platform}/${report.host.arch}, Node ${report.host.node}; ${report.createdAt}`);
  out.push('');

  out.push('## Execution providers');
  out.push('');
  const notBuilt = report.providers.filter((p) => p.status === 'skipped' && !p.inBuild).map((p) => p.name);
  const rows = report.providers.filter((p) => p.status !== 'skipped' || p.inBuild).map((p) =>
    [p.name, p.status, p.status === 'ran' ? '' : escape(`${p.reason ?? ''}${p.hint ? ` (${p.hint})` : ''}`)]);
  if (notBuilt.length) {
    rows.push([notBuilt.join(', '), 'skipped', `not in this build of ${report.runtime.name} ${report.runtime.version} (${report.host.platform}/${report.host.arch})`]);
  }
  out.push(mdTable(['provider', 'status', 'reason'], rows));

  for (const p of report.providers) {
    if (p.status !== 'ran') continue;
    out.push('');
    out.push(providerSection(p, report));
  }

  if (report.gates.length) {
    out.push('');
    out.push('## Gates');
    out.push('');
    for (const g of report.gates) out.push(`- ${g.passed ? 'pass' : '**FAIL**'}: ${escape(g.message)}`);
  }
  if (report.warnings.length) {
    out.push('');
    out.push('## Warnings');
    out.push('');
    for (const w of report.warnings) out.push(`- ${escape(w)}`);
  }
  return `${out.join('\n')}\n`;
}

function providerSection(p: ProviderBench, report: BenchReport): string {
  const out: string[] = [];
  const l = p.latency!;
  out.push(`## ${p.name}`);
  out.push('');
  out.push(`### Accuracy (${p.samples} samples)`);
  out.push('');
  out.push(mdTable(['output', 'cosine', 'SQNR dB', 'max abs err', 'mean abs err', 'top-1 agreement', 'NaN/inf'], (p.outputs ?? []).map((x) =>
    [code(x.name), formatCosine(x.cosine), formatSqnr(x.sqnrDb), formatError(x.maxAbsError), formatError(x.meanAbsError),
      x.top1Agreement === undefined ? '-' : percent(x.top1Agreement), String(x.nonFinite)])));
  if (p.accuracy || p.custom) {
    out.push('');
    const rows: string[][] = [];
    if (p.accuracy) {
      const a = p.accuracy;
      rows.push([`top-1 accuracy (${a.labeled} labeled)`, percent(a.original), percent(a.quantized), `${signed(-a.drop, 2)} pt`]);
      if (a.top5) rows.push(['top-5 accuracy', percent(a.top5.original), percent(a.top5.quantized), `${signed(-a.top5.drop, 2)} pt`]);
    }
    for (const v of p.custom?.values ?? []) {
      const name = v.key === p.custom!.name ? p.custom!.name : `${p.custom!.name} ${v.key}`;
      rows.push([`${escape(name)} (${p.custom!.higherIsBetter ? 'higher' : 'lower'} is better)`, formatNumber(v.original), formatNumber(v.quantized),
        `${v.delta >= 0 ? '+' : '−'}${formatNumber(Math.abs(v.delta))}`]);
    }
    out.push(mdTable(['metric', 'original', 'quantized', 'change'], rows));
  } else if (p.accuracySkipped) {
    out.push('');
    out.push(`Accuracy not measured: ${escape(p.accuracySkipped)}.`);
  }
  out.push('');

  const threads = l.threads === null ? 'default threads' : `${l.threads} threads`;
  out.push(`### Latency (ms; batch ${l.batch}, ${threads}, ${l.original.runs} runs each)`);
  out.push('');
  const row = (name: string, s: LatencyStats): string[] =>
    [name, formatMs(s.median), formatMs(s.p90), formatMs(s.p99), formatMs(s.mean), formatRate(s.throughput)];
  out.push(mdTable(['', 'median', 'p90', 'p99', 'mean', 'inferences/s'], [
    row('original', l.original), row('quantized', l.quantized),
    ['change', rel(l.original.median, l.quantized.median), rel(l.original.p90, l.quantized.p90), rel(l.original.p99, l.quantized.p99),
      rel(l.original.mean, l.quantized.mean), rel(l.original.throughput, l.quantized.throughput)],
  ]));
  out.push('');
  const iv = l.speedupInterval;
  out.push(`Speed-up **${l.speedup.toFixed(2)}×** (${Math.round(iv.confidence * 100)}% CI ${iv.low.toFixed(2)}–${iv.high.toFixed(2)}×` +
    `${iv.low > 1 || iv.high < 1 ? '' : ', within noise'}).`);

  const price = report.settings.pricePerHour;
  const costByBatch = new Map((p.cost ?? []).map((c) => [c.batch, c]));
  if (p.batches?.length) {
    out.push('');
    out.push(`### Batch sizes${price !== null ? ` (cost per million inferences at ${price}/hour, one stream)` : ''}`);
    out.push('');
    const h = ['batch', 'original ms', 'quantized ms', 'original inf/s', 'quantized inf/s', 'speed-up'];
    if (price !== null) h.push('original cost/M', 'quantized cost/M', 'saving');
    out.push(mdTable(h, p.batches.map((b) => {
      if (!b.original || !b.quantized) return [String(b.batch), `skipped: ${escape(b.skipped ?? '')}`, '', '', '', '', ...(price !== null ? ['', '', ''] : [])];
      const r = [String(b.batch), formatMs(b.original.median), formatMs(b.quantized.median), formatRate(b.original.throughput),
        formatRate(b.quantized.throughput), `${b.speedup!.toFixed(2)}×`];
      const c = costByBatch.get(b.batch);
      if (price !== null) r.push(formatPrice(c?.original ?? null), formatPrice(c?.quantized ?? null), c?.saving == null ? '-' : `${signed(c.saving * 100, 1)}%`);
      return r;
    })));
  } else if (p.cost?.length) {
    const c = p.cost[0]!;
    out.push('');
    out.push(`Cost per million inferences at ${price}/hour (one stream, batch ${c.batch}): ` +
      `${formatPrice(c.original)} → ${formatPrice(c.quantized)}${c.saving === null ? '' : ` (${signed(c.saving * 100, 1)}%)`}.`);
  }

  if (p.memory) {
    const m = p.memory;
    out.push('');
    out.push(`### Memory (each model in its own process, ${m.original.runs} runs)`);
    out.push('');
    const mrow = (name: string, bytes: number, r: MemoryResult): string[] =>
      [name, formatBytes(bytes), formatMs(r.loadMs), formatBytes(r.peakRssBytes), formatBytes(r.sessionRssBytes)];
    out.push(mdTable(['', 'file', 'load ms', 'peak RSS', 'session RSS'], [
      mrow('original', report.original.bytes, m.original), mrow('quantized', report.quantized.bytes, m.quantized),
      ['change', rel(report.original.bytes, report.quantized.bytes), rel(m.original.loadMs, m.quantized.loadMs),
        rel(m.original.peakRssBytes, m.quantized.peakRssBytes), rel(m.original.sessionRssBytes, m.quantized.sessionRssBytes)],
    ]));
    if (m.original.placement || m.quantized.placement) {
      out.push('');
      out.push('Nodes run per provider (after graph optimisation, from ONNX Runtime\'s profile):');
      out.push('');
      out.push(`- original: ${placementText(m.original.placement)}`);
      out.push(`- quantized: ${placementText(m.quantized.placement)}`);
    }
  } else if (p.memorySkipped) {
    out.push('');
    out.push(`Memory not measured: ${escape(p.memorySkipped)}.`);
  }
  return out.join('\n');
}

function placementText(placement: ProviderPlacement[] | null): string {
  if (!placement) return 'unknown';
  return placement.map((pp) => `${pp.provider} ${pp.nodes} nodes (${pp.ops.map((o) => `${o.op} ${o.count}`).join(', ')})`).join('; ');
}

function rel(a: number, b: number): string {
  if (!(a > 0) || !Number.isFinite(a) || !Number.isFinite(b)) return '-';
  return `${signed(((b - a) / a) * 100, 1)}%`;
}

/**
 * A pipe table; cells must not contain newlines (pipes are escaped). Columns
 * whose cells are all numbers (with units, signs, ×, %) are right-aligned.
 */
export function mdTable(header: string[], rows: string[][]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const numeric = header.map((_, i) => {
    const cells = rows.map((r) => r[i] ?? '').filter((c) => c !== '' && c !== '-');
    return cells.length > 0 && cells.every((c) => NUMERIC.test(c));
  });
  const lines = [`| ${header.map(cell).join(' | ')} |`, `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`];
  for (const r of rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

const NUMERIC = /^[-+−±]?[\d.,]+(e[-+]?\d+)?\s?(%|×|pt|B|KiB|MiB|GiB|TiB)?$/;

const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
const escape = (s: string): string => s.replace(/([*_`<>])/g, '\\$1').replace(/\n/g, ' ');
