// The analysis as a terminal table: one row per unit, largest accuracy cost
// first, with the time quantizing it saves (negative: it costs time).
import chalk from 'chalk';
import type { Analysis } from '../auto/analyze.js';

const db = (x: number | undefined): string => (x === undefined ? '–' : x === Infinity ? 'inf' : x.toFixed(1));
const ms = (x: number): string => (Math.abs(x) >= 10 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3));

export function formatAnalysis(a: Analysis, limit = 40): string {
  const lines: string[] = [];
  lines.push(`${chalk.bold('Analysis')} ${a.model}: ${a.units.length} units the static plan quantizes, measured on ${a.evalSamples} sample${a.evalSamples === 1 ? '' : 's'} of ${a.evalSource}`);
  lines.push(chalk.dim('accuracy cost: final outputs\' noise/signal with only that unit quantized (exact: measured; est.: from the unit\'s own output SQNR, one run for all units)'));
  lines.push(chalk.dim(`time: ONNX Runtime's per-node profile on ${a.provider}${a.threads ? `, ${a.threads} thread${a.threads === 1 ? '' : 's'}` : ''}, float vs quantized (fused kernel + its Q/DQ and layout nodes), ms per run`));
  const header = ['#acc', '#slow', 'unit', 'op', 'cost', 'out dB', 'local dB', 'w8 dB', 'wo dB', 'weight dB', 'float ms', 'int8 ms', 'saved ms'];
  const rows = [...a.units].sort((x, y) => x.accuracyRank - y.accuracyRank).slice(0, limit).map((u) => [
    String(u.accuracyRank), String(u.slowdownRank), u.name, u.op, `${u.cost.toExponential(1)}${u.costExact ? '' : ' est.'}`,
    db(u.outputSqnrDb), db(u.localSqnrDb.int8), db(u.localSqnrDb['int8-w8']), db(u.localSqnrDb['weight-only']), db(u.weightSqnrDb),
    ms(u.floatMs), ms(u.quantizedMs), ms(u.savedMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  lines.push(fmt(header), widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) lines.push(fmt(r));
  if (a.units.length > limit) lines.push(chalk.dim(`… ${a.units.length - limit} more units (--json lists all)`));
  lines.push(`whole model per run (profile): float ${ms(a.floatTotalMs)} ms, all units int8 ${ms(a.quantizedTotalMs)} ms`);
  lines.push(`model runs: ${a.runs.total} (one-shot ${a.runs.oneShot}, exact checks ${a.runs.exact} for ${a.exactChecks} unit${a.exactChecks === 1 ? '' : 's'}, profiles ${a.runs.profile}), ${a.seconds.toFixed(1)} s`);
  return lines.join('\n');
}
