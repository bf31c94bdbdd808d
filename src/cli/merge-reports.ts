// `quantize merge-reports a.ndjson b.ndjson ... [-o merged.ndjson]`: the
// shards' NDJSON reports as one (model lines sorted by path, then one
// summary); exit 1 when they do not add up (a shard or a model missing or
// twice), else the worst exit code of the models, so a CI step after the
// matrix can gate on it.
import type { Command } from 'commander';
import { writeFileSync, renameSync } from 'node:fs';
import { mergeReports } from '../batch/merge-reports.js';

export function registerMergeReports(program: Command): void {
  program
    .command('merge-reports')
    .description('merge the NDJSON reports of a sharded run (--shard K/N --json-file) into one; fails when a shard or a model is missing or duplicated')
    .argument('<reports...>', 'NDJSON reports (quantize --json-file, or --json with several models)')
    .option('-o, --output <file>', 'write the merged NDJSON here (default: stdout)')
    .action((files: string[], opts: { output?: string }) => {
      const merged = mergeReports(files);
      const text = merged.lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
      if (opts.output) {
        const temp = `${opts.output}.${process.pid}.tmp`;
        writeFileSync(temp, text);
        renameSync(temp, opts.output);
      } else {
        process.stdout.write(text);
      }
      const c = merged.summary.counts as Record<string, number>;
      const out = opts.output ? process.stdout : process.stderr;
      out.write(`merged ${files.length} reports: ${merged.summary.models as number} models, ${c.ok} ok, ${c.skipped} skipped, ${c.failed} failed, ${c['gate-failed']} missed a gate${opts.output ? ` → ${opts.output}` : ''}\n`);
      if (merged.exitCode) process.exitCode = merged.exitCode;
    });
}
