// The terminal form of `quantize inspect`.
import chalk from 'chalk';
import type { ModelSummary } from '../onnx/summary.js';
import { formatBytes, formatShape, heading, table } from '../cli/format.js';

export function formatInspect(s: ModelSummary): string {
  const out: string[] = [];
  out.push(`${heading(s.file)}  ${formatBytes(s.fileBytes)}`);
  const producer = [s.producer.name, s.producer.version].filter(Boolean).join(' ') || 'unknown';
  out.push(`IR version ${s.irVersion} · producer ${producer} · opsets ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ')}`);
  out.push('');
  out.push(heading('Inputs'));
  out.push(table(s.inputs.map((v) => [v.name, v.type, formatShape(v.shape)])));
  out.push(heading('Outputs'));
  out.push(table(s.outputs.map((v) => [v.name, v.type, formatShape(v.shape)])));
  out.push('');
  const sub = s.subgraphs ? ` in ${s.subgraphs + 1} graphs (${s.subgraphs} subgraph${s.subgraphs > 1 ? 's' : ''})` : '';
  out.push(heading(`Operators: ${s.nodes} nodes${sub}`));
  out.push(table(s.ops.map((o) => [o.op, String(o.count), o.inSubgraphs ? chalk.yellow(`${o.inSubgraphs} in subgraphs`) : '']), ['op', 'count', '']));
  out.push('');
  const constNote = s.constantNodes ? ` (incl. ${s.constantNodes} Constant nodes)` : '';
  out.push(heading(`Weights: ${formatBytes(s.weightBytes)}${constNote}`));
  out.push(table(s.weights.map((w) => [w.dtype, String(w.count), w.elements.toLocaleString('en-US'), formatBytes(w.bytes)]),
    ['dtype', 'tensors', 'elements', 'bytes']));
  if (s.externalData.length) {
    out.push('');
    out.push(heading('External data'));
    out.push(table(s.externalData.map((e) => [e.file, `${e.tensors} tensors`, formatBytes(e.bytes)])));
  }
  if (s.functions) out.push(`\n${s.functions} model-local functions`);
  const meta = Object.entries(s.metadata);
  if (meta.length) {
    out.push('');
    out.push(heading('Metadata'));
    out.push(table(meta.map(([k, v]) => [k, v.length > 80 ? `${v.slice(0, 77)}...` : v])));
  }
  return out.join('\n');
}
