// `quantize model.onnx --int8 --calibrate samples/ [-o out]`, and the same for
// several models, folders (-r) and globs: parses the command line, hands the
// batch to src/batch/, prints what comes back.
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { runBatch } from '../batch/run-batch.js';
import { addQuantizeOptions, batchFlags, givenSettings } from './quantize-options.js';
import { quantizePrinter } from './quantize-output.js';
import { loadConfig } from '../batch/config.js';
import { cleanUpNow } from '../cleanup.js';
import { onInterrupt } from './interrupt.js';
import { addDtypeOptions, dtypeRequested, runDtypeCommand } from './dtype.js';
import { refuseNBitsFlags } from './nbits-options.js';

export function registerQuantize(program: Command): void {
  program.argument('[models...]', 'ONNX models to quantize: files, folders with -r, or quoted glob patterns (each written beside its input as <name>.int8.onnx unless -o or --out-dir says otherwise)');
  addQuantizeOptions(program);
  addDtypeOptions(program);
  program.action(async (models: string[]) => {
    const flags = batchFlags(program);
    if (models.length === 0 && !flags.config) {
      program.help({ error: true });
      return;
    }
    // transformers.js variants (fp16, q8, ...): a model file or a model folder each.
    if (dtypeRequested(program)) return runDtypeCommand(models, program);
    refuseNBitsFlags(program, []);
    const first = models[0];
    if (first !== undefined && !existsSync(first) && !/\.onnx$/i.test(first) && !/[*?[\]{}]/.test(first)) {
      // Not a file, not named like a model: most likely a mistyped command.
      const near = program.commands.map((c) => c.name()).find((name) => editDistance(name, first) <= 2);
      throw new UsageError(`unknown command or missing model '${first}'${near ? ` (did you mean ${near}?)` : ''}`);
    }
    const settings = givenSettings(program);
    const config = flags.config ? await loadConfig(flags.config) : undefined;
    // One model file named: one JSON object. A list (several, a folder, a pattern, a config's inputs, a shard): NDJSON.
    const single = models.length === 1 && !flags.shard && existsSync(first!) && statSync(first!).isFile();
    const printer = quantizePrinter({ json: flags.json === true, single, quiet: flags.quiet === true, ...(flags.jsonFile ? { jsonFile: flags.jsonFile } : {}) });
    const controller = new AbortController();
    const release = onInterrupt((signal) => controller.abort(signal));
    let summary;
    try {
      summary = await runBatch({
        inputs: models, flags: settings, signal: controller.signal,
        ...(config ? { config } : {}),
        ...(flags.recursive ? { recursive: true } : {}),
        ...(flags.outDir !== undefined ? { outDir: flags.outDir } : {}),
        ...(flags.output !== undefined ? { output: flags.output } : {}),
        ...(flags.force ? { force: true } : {}),
        ...(flags.skipExisting ? { skipExisting: true } : {}),
        ...(flags.report !== undefined ? { report: flags.report } : {}),
        ...(flags.jobs !== undefined ? { jobs: flags.jobs } : {}),
        ...(flags.shard ? { shard: flags.shard } : {}),
      }, printer.hooks);
    } finally {
      release();
    }
    printer.finish(summary);
    if (summary.interrupted) {
      // Work of this process may still be pending (an interrupted quantization): leave now, cleaned up.
      cleanUpNow();
      process.exit(summary.exitCode);
    }
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
