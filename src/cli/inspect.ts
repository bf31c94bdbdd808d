// `quantize inspect model.onnx [--json]`
import type { Command } from 'commander';
import { loadModel } from '../onnx/load.js';
import { summarizeModel } from '../onnx/summary.js';
import { formatInspect } from '../report/inspect-text.js';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('describe a model: IR and opsets, inputs/outputs, op types, weights by dtype, external data')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print the same as JSON')
    .action((file: string, opts: { json?: boolean }) => {
      const model = loadModel(file);
      try {
        const summary = summarizeModel(model);
        process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatInspect(summary)}\n`);
      } finally {
        model.close();
      }
    });
}
