// The quantization report as text: mode and why, which nodes run integer
// kernels, which keep only int8 weights, which stay float, each with its reason.
import chalk from 'chalk';
import type { QuantizeReport } from '../quant/report.js';

export function formatQuantizeReport(input: string, output: string, r: QuantizeReport): string {
  const lines: string[] = [];
  lines.push(`${chalk.bold.cyan('Quantized')} ${input} → ${output}`);
  const modeName = r.mode === 'static' ? 'static INT8 (QDQ)' : r.mode === 'dynamic' ? 'dynamic INT8' : 'weight-only INT8';
  const activations = r.mode === 'static' ? 'activations uint8' : r.mode === 'dynamic' ? 'activations quantized per call' : 'activations float';
  lines.push(`mode: ${modeName}: ${r.modeReason}; weights int8 ${r.perChannel ? 'per channel' : 'per tensor'}, ${activations}`);
  const kernels = Object.entries(r.quantized).map(([op, n]) => `${n} ${op}`).join(', ');
  if (kernels) lines.push(`quantized (integer kernels): ${kernels}`);
  if (r.foldedBatchNorms) lines.push(`folded ${r.foldedBatchNorms} BatchNormalization into the Conv before it`);
  if (r.promotedConstants) lines.push(`read ${r.promotedConstants} weights from Constant nodes`);
  for (const w of r.weightOnly) lines.push(`weight-only (int8 weights, float math): ${w.nodes.length} node${w.nodes.length > 1 ? 's' : ''} (${w.reason}): ${w.nodes.slice(0, 6).join(', ')}${w.nodes.length > 6 ? ', …' : ''}`);
  for (const f of r.float) lines.push(chalk.dim(`left float: ${f.nodes.length} node${f.nodes.length > 1 ? 's' : ''} (${f.reason}): ${f.nodes.slice(0, 6).join(', ')}${f.nodes.length > 6 ? ', …' : ''}`));
  for (const n of r.notes) lines.push(`note: ${n}`);
  for (const f of r.fallbacks) lines.push(chalk.yellow(`fell back to float: ${f.node} (${f.reason})`));
  return lines.join('\n');
}
