// One self-contained HTML report (no script, no network: inline CSS and SVG)
// for `quantize analyze`, `quantize --auto` and `quantize bench`: a per-layer
// chart of accuracy cost against time saved, the search steps as an
// accuracy/latency curve, the before/after table, settings and environment.
import { cpus } from 'node:os';
import ort from 'onnxruntime-node';
import type { Analysis } from '../auto/analyze.js';
import type { BenchReport } from '../bench/bench.js';
import type { SearchResult } from '../auto/search.js';

export interface HtmlReportData {
  title: string;
  analysis?: Omit<Analysis, 'internals'>;
  search?: SearchResult;
  bench?: BenchReport;
  settings?: Record<string, unknown>;
}

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (x: number | null | undefined, digits = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : Number(x.toPrecision(digits)).toString());

const W = 640;
const H = 360;
const PAD = { l: 64, r: 16, t: 16, b: 44 };

interface Point { x: number; y: number; label: string; title: string; cls: string }

/** A scatter (optionally joined in order) in SVG with linear axes and ticks. */
function scatter(id: string, points: Point[], xLabel: string, yLabel: string, join: boolean): string {
  if (points.length === 0) return `<p id="${id}" class="empty">nothing to plot</p>`;
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const span = (v: number[]) => {
    let lo = Math.min(...v);
    let hi = Math.max(...v);
    if (hi === lo) {
      lo -= Math.abs(lo) * 0.1 + 1e-3;
      hi += Math.abs(hi) * 0.1 + 1e-3;
    }
    const m = (hi - lo) * 0.06;
    return [lo - m, hi + m] as const;
  };
  const [x0, x1] = span(xs);
  const [y0, y1] = span(ys);
  const sx = (x: number) => PAD.l + ((x - x0) / (x1 - x0)) * (W - PAD.l - PAD.r);
  const sy = (y: number) => H - PAD.b - ((y - y0) / (y1 - y0)) * (H - PAD.t - PAD.b);
  const ticks = (lo: number, hi: number) => Array.from({ length: 5 }, (_, i) => lo + ((hi - lo) * i) / 4);
  const parts: string[] = [];
  parts.push(`<svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" class="plot"/>`);
  for (const t of ticks(x0, x1)) parts.push(`<line class="grid" x1="${sx(t)}" x2="${sx(t)}" y1="${PAD.t}" y2="${H - PAD.b}"/><text class="tick" x="${sx(t)}" y="${H - PAD.b + 14}" text-anchor="middle">${fmt(t, 3)}</text>`);
  for (const t of ticks(y0, y1)) parts.push(`<line class="grid" y1="${sy(t)}" y2="${sy(t)}" x1="${PAD.l}" x2="${W - PAD.r}"/><text class="tick" x="${PAD.l - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t, 3)}</text>`);
  if (x0 < 0 && x1 > 0) parts.push(`<line class="zero" x1="${sx(0)}" x2="${sx(0)}" y1="${PAD.t}" y2="${H - PAD.b}"/>`);
  parts.push(`<text class="axis" x="${(PAD.l + W - PAD.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(14 ${(PAD.t + H - PAD.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  if (join) parts.push(`<polyline class="path" points="${points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}"/>`);
  for (const p of points) {
    parts.push(`<circle class="${esc(p.cls)}" cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="5"><title>${esc(p.title)}</title></circle>`);
    if (p.label) parts.push(`<text class="label" x="${(sx(p.x) + 7).toFixed(1)}" y="${(sy(p.y) - 6).toFixed(1)}">${esc(p.label)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

function table(id: string, header: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const head = header.some(Boolean) ? `<thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` : '';
  return `<table id="${id}">${head}<tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(typeof c === 'number' ? fmt(c, 4) : c ?? '–')}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function layerSection(a: Omit<Analysis, 'internals'>): string {
  const dbCost = (c: number) => (c > 0 ? 10 * Math.log10(c) : -120);
  const worst = new Set([...a.units].sort((x, y) => x.accuracyRank - y.accuracyRank).slice(0, 5).map((u) => u.name));
  const slow = new Set([...a.units].sort((x, y) => x.slowdownRank - y.slowdownRank).slice(0, 3).map((u) => u.name));
  const points = a.units.map((u) => ({
    x: u.savedMs, y: dbCost(u.cost), label: worst.has(u.name) || slow.has(u.name) ? u.name : '',
    title: `${u.name} (${u.op}): cost ${u.cost.toExponential(2)}${u.costExact ? '' : ' (estimated)'}, saves ${fmt(u.savedMs)} ms`,
    cls: `layer${u.savedMs < 0 ? ' slower' : ''}${u.accuracyRank === 1 ? ' worst' : ''}`,
  }));
  const rows = [...a.units].sort((x, y) => x.accuracyRank - y.accuracyRank).map((u) => [u.accuracyRank, u.slowdownRank, u.name, u.op,
    u.cost.toExponential(2) + (u.costExact ? '' : ' est.'), u.localSqnrDb.int8 ?? null, u.weightSqnrDb ?? null, u.floatMs, u.quantizedMs, u.savedMs]);
  return `<section><h2>Per layer: accuracy cost against time saved</h2>
<p>${a.units.length} units measured on ${a.evalSamples} samples of <code>${esc(a.evalSource)}</code>${a.evalIsCalibration ? ' (the calibration samples: the result may flatter itself)' : ''};
${a.runs.total} model runs (one-shot ${a.runs.oneShot}, exact ${a.runs.exact}, profiles ${a.runs.profile}), ${fmt(a.seconds)} s.
Cost: final outputs' noise/signal with only that unit quantized, in dB (higher is worse). Time: ONNX Runtime's per-node profile on ${esc(a.provider)}.</p>
${scatter('layer-chart', points, 'time saved by quantizing (ms per run; negative = slower)', 'accuracy cost (dB of output noise/signal)', false)}
${table('layer-table', ['#acc', '#slow', 'unit', 'op', 'cost', 'local dB', 'weight dB', 'float ms', 'int8 ms', 'saved ms'], rows)}
</section>`;
}

function searchSection(s: SearchResult): string {
  // Each step's latency relative to the float model's, measured interleaved with it in that step: comparable across steps.
  const points = s.steps.map((st, i) => ({
    x: 1 / st.speedup, y: st.metric.value, label: i === s.chosenStep ? 'chosen' : '',
    title: `step ${i}: ${st.label}: ${st.metric.name} ${fmt(st.metric.value)}, ${fmt(st.latencyMs)} ms, ${fmt(st.bytes / 1024)} KiB${st.meets ? ' (meets the budget)' : ''}`,
    cls: `step${st.meets ? ' meets' : ''}${i === s.chosenStep ? ' chosen' : ''}`,
  }));
  const rows = s.steps.map((st, i) => [i, st.label, st.metric.value, st.meets ? 'yes' : 'no', st.latencyMs, st.speedup, st.bytes, st.int8Units, st.floatUnits]);
  const choice = s.choice.map((c) => [c.name, c.op, c.choice, c.reason]);
  return `<section><h2>Search: accuracy against latency</h2>
<p>Budget: ${esc(s.metric)} ≤ ${fmt(s.budget)}. ${s.evaluations} evaluations, ${fmt(s.seconds)} s. ${esc(s.outcome)}</p>
${scatter('search-chart', points, `latency relative to the float model (${s.provider}, measured interleaved; < 1 is faster)`, s.metric, true)}
${table('search-table', ['step', 'what', s.metric, 'meets', 'latency ms', 'speed-up', 'bytes', 'int8 units', 'float units'], rows)}
<h3>Per-layer choice</h3>
${table('choice-table', ['unit', 'op', 'choice', 'why'], choice)}
</section>`;
}

function benchSection(b: BenchReport): string {
  const rows: Array<Array<string | number | null>> = [['file', b.original.file, b.quantized.file, ''], ['bytes', b.original.bytes, b.quantized.bytes, `${fmt(b.sizeRatio)}×`]];
  for (const p of b.providers) {
    if (p.status !== 'ran') {
      rows.push([`${p.name}`, p.status, p.reason ?? '', '']);
      continue;
    }
    if (p.accuracy) rows.push([`${p.name} top-1 accuracy`, p.accuracy.original, p.accuracy.quantized, `${fmt(-p.accuracy.drop)} pt`]);
    for (const o of p.outputs ?? []) rows.push([`${p.name} output ${o.name}`, 'cosine', o.cosine, o.top1Agreement !== undefined ? `top-1 agree ${fmt(o.top1Agreement)}` : '']);
    if (p.latency) rows.push([`${p.name} latency (median ms)`, p.latency.original.median, p.latency.quantized.median, `${fmt(p.latency.speedup)}× speed-up`]);
    if (p.memory) rows.push([`${p.name} session RSS (bytes)`, p.memory.original.sessionRssBytes, p.memory.quantized.sessionRssBytes, '']);
  }
  const env = [['tool', `${b.tool.name} ${b.tool.version}`], ['runtime', `${b.runtime.name} ${b.runtime.version}`],
    ['host', `${b.host.platform} ${b.host.arch}, ${b.host.cpu}, ${b.host.logicalCpus} logical CPUs, Node ${b.host.node}`], ['created', b.createdAt]];
  return `<section><h2>Before and after</h2>${table('before-after', ['', 'original', 'quantized', 'change'], rows)}
<h3>Environment</h3>${table('environment', ['', ''], env)}</section>`;
}

function environment(): string[][] {
  return [['runtime', `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`],
    ['host', `${process.platform} ${process.arch}, ${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, ${cpus().length} logical CPUs, Node ${process.version}`],
    ['created', new Date().toISOString()]];
}

export function renderHtmlReport(d: HtmlReportData): string {
  const settingsData = d.settings ?? (d.search ? { budget: `${d.search.metric} ≤ ${d.search.budget}`, provider: d.search.provider, method: d.search.analysis.method,
    'evaluation samples': d.search.analysis.evalSource, 'candidates judged': d.search.evaluations, 'search seconds': d.search.seconds.toFixed(1) }
    : d.analysis ? { method: d.analysis.method, provider: d.analysis.provider, threads: d.analysis.threads ?? 'ONNX Runtime default', 'evaluation samples': d.analysis.evalSource } : undefined);
  const settings = settingsData ? `<section><h2>Settings</h2>${table('settings', ['setting', 'value'], Object.entries(settingsData).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]))}</section>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:980px;color:#1d232a;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:32px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #d5dbe1;padding:3px 8px;text-align:left}th{background:#f1f4f7}
td{font-variant-numeric:tabular-nums}code{background:#f1f4f7;padding:0 3px}
.chart{max-width:100%;height:auto;background:#fff}.plot{fill:#fbfcfd;stroke:#c5ccd3}.grid{stroke:#e6eaee}.zero{stroke:#98a2ad;stroke-dasharray:4 3}
.tick{font-size:10px;fill:#5b6570}.axis{font-size:12px;fill:#1d232a}.label{font-size:10px;fill:#1d232a}
circle.layer{fill:#2f6fd6;opacity:.8}circle.layer.slower{fill:#d98a1c}circle.layer.worst{fill:#c8372d}
circle.step{fill:#8d97a2}circle.step.meets{fill:#2b8a3e}circle.step.chosen{stroke:#1d232a;stroke-width:2}
.path{fill:none;stroke:#8d97a2;stroke-width:1.5}.empty{color:#5b6570}
</style></head><body>
<h1>${esc(d.title)}</h1>
${d.search ? searchSection(d.search) : ''}
${d.analysis ? layerSection(d.analysis) : ''}
${d.bench ? benchSection(d.bench) : `<section><h2>Environment</h2>${table('environment', ['', ''], environment())}</section>`}
${settings}
</body></html>
`;
}
