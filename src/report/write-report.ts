// Writing a bench report to a file (Markdown, or JSON for *.json) through a
// temporary file, so a reader never sees half of it.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import type { BenchReport } from '../bench/bench.js';
import { formatBenchMarkdown } from './bench-markdown.js';

export function writeReport(file: string, report: BenchReport): void {
  const text = file.toLowerCase().endsWith('.json') ? `${JSON.stringify(report, null, 2)}\n` : formatBenchMarkdown(report);
  if (!existsSync(dirname(file) || '.')) throw new UsageError(`--report ${file}: the folder ${dirname(file)} does not exist`);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
