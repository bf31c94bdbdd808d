// The command line's entry point: builds the commander program, runs it, and
// is the only place that turns errors into messages and exit codes.
import chalk from 'chalk';
import { Command } from 'commander';
import { printError, setVerbose } from './print-error.js';
import { registerBench } from './bench.js';
import { registerInspect } from './inspect.js';
import { registerQuantize } from './quantize.js';
import { registerMergeReports } from './merge-reports.js';
import { installSignalHandlers } from './interrupt.js';
import { isCi } from './ci.js';

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
  registerMergeReports(program);
  registerQuantize(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  setVerbose(argv.includes('--verbose'));
  // No colours for a log file or a CI job's log (CI is set by GitHub Actions, GitLab and most others).
  if (argv.includes('--no-color') || process.env.NO_COLOR || isCi()) chalk.level = 0;
  installSignalHandlers();
  try {
    // Global flags may stand anywhere (before or after the subcommand): taken out here.
    await buildProgram().parseAsync(argv.filter((a, i) => i < 2 || (a !== '--verbose' && a !== '--no-color')));
  } catch (err) {
    process.exitCode = printError(err);
  }
}

