// Writing a bench report to a file (Markdown, JSON for *.json, a self-contained HTML page for *.html) through a
// temporary file, so a reader never sees half of it.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import type { BenchReport } from '../bench/bench.js';
import { formatBenchMarkdown } from './bench-markdown.js';
import { writeHtmlReport } from './html-file.js';
import type { HtmlReportData } from './html.js';

export function writeReport(file: string, report: BenchReport | undefined, extra: Omit<HtmlReportData, 'title'> = {}): void {
  if (/\.html?$/i.test(file)) {
    writeHtmlReport(file, { title: `onnx-quantize: ${report ? `${report.original.file} → ${report.quantized.file}` : 'search'}`, ...(report ? { bench: report } : {}), ...extra });
    return;
  }
  if (!report) throw new UsageError(`--report ${file}: without the benchmark (--no-bench) only an HTML report can be written`);
  const text = file.toLowerCase().endsWith('.json') ? `${JSON.stringify(report, null, 2)}\n` : formatBenchMarkdown(report);
  if (!existsSync(dirname(file) || '.')) throw new UsageError(`--report ${file}: the folder ${dirname(file)} does not exist`);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}
