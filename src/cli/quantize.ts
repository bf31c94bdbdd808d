// `quantize model.onnx --int8 --calibrate samples/ [-o out]`, and the same for
// several models, folders (-r) and globs: parses the command line, hands the
// batch to src/batch/, prints what comes back.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { runBatch } from '../batch/run-batch.js';
import { addQuantizeOptions, batchFlags, givenSettings } from './quantize-options.js';
import { quantizePrinter } from './quantize-output.js';

export function registerQuantize(program: Command): void {
  program.argument('[models...]', 'ONNX models to quantize: files, folders with -r, or quoted glob patterns (each written beside its input as <name>.int8.onnx unless -o or --out-dir says otherwise)');
  addQuantizeOptions(program);
  program.action(async (models: string[]) => {
    if (models.length === 0) {
      program.help({ error: true });
      return;
    }
    const first = models[0]!;
    if (!existsSync(first) && !/\.onnx$/i.test(first) && !/[*?[\]{}]/.test(first)) {
      // Not a file, not named like a model: most likely a mistyped command.
      const near = program.commands.map((c) => c.name()).find((name) => editDistance(name, first) <= 2);
      throw new UsageError(`unknown command or missing model '${first}'${near ? ` (did you mean ${near}?)` : ''}`);
    }
    const flags = batchFlags(program);
    const settings = givenSettings(program);
    const printer = quantizePrinter({ json: flags.json === true, several: models.length > 1 });
    const summary = await runBatch({
      inputs: models, flags: settings,
      ...(flags.recursive ? { recursive: true } : {}),
      ...(flags.outDir !== undefined ? { outDir: flags.outDir } : {}),
      ...(flags.output !== undefined ? { output: flags.output } : {}),
      ...(flags.force ? { force: true } : {}),
      ...(flags.report !== undefined ? { report: flags.report } : {}),
    }, printer.hooks);
    printer.finish(summary);
    if (summary.exitCode) process.exitCode = summary.exitCode;
  });
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}
