// The command line's entry point: builds the commander program, runs it, and
// is the only place that turns errors into messages and exit codes.
import chalk from 'chalk';
import { Command } from 'commander';
import { printError, setVerbose } from './print-error.js';
import { registerBench } from './bench.js';
import { registerAnalyze } from './analyze.js';
import { registerInspect } from './inspect.js';
import { registerQuantize } from './quantize.js';

export function buildProgram(): Command {
  const program = new Command('quantize');
  program
    .description('Quantize ONNX models to INT8, calibrated and benchmarked.')
    .option('--verbose', 'print stack traces with errors')
    .option('--no-color', 'plain output without colours (NO_COLOR is honoured too)')
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInspect(program);
  registerBench(program);
  registerAnalyze(program);
  registerQuantize(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  setVerbose(argv.includes('--verbose'));
  if (argv.includes('--no-color') || process.env.NO_COLOR) chalk.level = 0;
  try {
    // Global flags may stand anywhere (before or after the subcommand): taken out here.
    await buildProgram().parseAsync(argv.filter((a, i) => i < 2 || (a !== '--verbose' && a !== '--no-color')));
  } catch (err) {
    process.exitCode = printError(err);
  }
}

