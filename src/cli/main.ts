// The command line's entry point: builds the commander program, runs it, and
// is the only place that turns errors into messages and exit codes.
import chalk from 'chalk';
import { Command, CommanderError } from 'commander';
import { QuantizeError } from '../errors.js';
import { registerBench } from './bench.js';
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
  registerQuantize(program);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const verbose = argv.includes('--verbose');
  if (argv.includes('--no-color') || process.env.NO_COLOR) chalk.level = 0;
  try {
    // Global flags may stand anywhere (before or after the subcommand): taken out here.
    await buildProgram().parseAsync(argv.filter((a, i) => i < 2 || (a !== '--verbose' && a !== '--no-color')));
  } catch (err) {
    process.exitCode = reportError(err, verbose);
  }
}

function reportError(err: unknown, verbose: boolean): number {
  if (err instanceof CommanderError) {
    // Commander already printed the message (or the help/version text).
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0 ? 0 : 2;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${chalk.red('error:')} ${message}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else if (!(err instanceof QuantizeError)) process.stderr.write('(an unexpected error: run with --verbose for the stack trace)\n');
  return err instanceof QuantizeError ? err.exitCode : 1;
}
