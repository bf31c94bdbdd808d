// Writes the HTML report through a temporary file beside it, so a reader never sees half of it.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';
import { renderHtmlReport, type HtmlReportData } from './html.js';

export function writeHtmlReport(file: string, data: HtmlReportData): void {
  if (!existsSync(dirname(file) || '.')) throw new UsageError(`--report ${file}: the folder ${dirname(file)} does not exist`);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, renderHtmlReport(data));
  renameSync(temp, file);
}
