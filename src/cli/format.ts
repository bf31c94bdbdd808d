// Small formatting helpers shared by the commands' text output.
import chalk from 'chalk';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[i]}`;
}

export function formatShape(shape: Array<number | string | null> | null): string {
  if (!shape) return '?';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/** Left-aligned columns; numbers right-aligned. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  const numeric = (s: string): boolean => /^[-+]?[\d.,]+(\s?[%x×]|\s\w+)?$/.test(stripAnsi(s));
  const line = (row: string[]): string =>
    row.map((cell, i) => {
      const pad = ' '.repeat(widths[i]! - visibleLength(cell));
      return numeric(cell) ? pad + cell : cell + pad;
    }).join('  ').trimEnd();
  const out = all.map(line);
  if (header) out.splice(1, 0, chalk.dim(widths.map((w) => '─'.repeat(w)).join('  ')));
  if (header) out[0] = chalk.bold(out[0]!);
  return out.join('\n');
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
export const stripAnsi = (s: string): string => s.replace(ANSI, '');
const visibleLength = (s: string): number => stripAnsi(s).length;

export function heading(text: string): string {
  return chalk.bold.cyan(text);
}
