// The --auto search as text: each step (accuracy, size, latency), the
// per-layer choice, and what the search cost.
import chalk from 'chalk';
import type { SearchResult, SearchStep } from '../auto/search.js';

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;

export function formatStep(s: SearchStep, i: number, budget: number): string {
  const mark = s.meets ? chalk.green('meets') : chalk.red('over ');
  return `step ${String(i).padStart(2)}: ${mark} ${s.metric.name} ${s.metric.value.toFixed(3)} (≤ ${budget}), ${kib(s.bytes)}, ` +
    `${s.latencyMs.toFixed(3)} ms vs float ${s.floatMs.toFixed(3)} ms (${s.speedup.toFixed(2)}×), ` +
    `units int8 ${s.int8Units} / weight-only ${s.weightOnlyUnits} / float ${s.floatUnits}: ${s.label}`;
}

export function formatSearch(r: SearchResult): string {
  const lines = [chalk.bold(`Search (--auto, budget ${r.metric} ≤ ${r.budget})`)];
  r.steps.forEach((s, i) => lines.push(`${i === r.chosenStep ? chalk.bold('→') : ' '} ${formatStep(s, i, r.budget)}`));
  lines.push(r.met ? chalk.green(r.outcome) : chalk.red(r.outcome));
  lines.push('per-layer choice:');
  const width = Math.max(...r.choice.map((c) => c.name.length));
  for (const c of r.choice) lines.push(`  ${c.name.padEnd(width)}  ${c.op.padEnd(13)} ${c.choice.padEnd(11)} ${chalk.dim(c.reason)}`);
  lines.push(`search cost: ${r.evaluations} candidate models judged, ${r.analysisRuns} analysis runs, ${r.seconds.toFixed(1)} s`);
  return lines.join('\n');
}
