// One place turns an error into what the user reads and the exit code:
// one line naming the file and the problem, the stack only with --verbose.
import chalk from 'chalk';
import { CommanderError } from 'commander';
import { QuantizeError } from '../errors.js';

let verbose = false;

/** Set once by the entry point from --verbose (which it takes out of the arguments). */
export function setVerbose(on: boolean): void {
  verbose = on;
}

export function printError(err: unknown): number {
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
