// SIGINT (Ctrl-C) and SIGTERM (a CI runner cancelling the job): the command
// running may take the first one to stop cleanly (the quantize command ends
// its batch and prints what finished); otherwise, and on a second signal,
// the registered temporary files and child processes are cleaned up and the
// process exits at once, 130 for SIGINT and 143 for SIGTERM.
import { cleanUpNow } from '../cleanup.js';

type Signal = 'SIGINT' | 'SIGTERM';
let handler: ((signal: Signal) => void) | undefined;

export const signalExitCode = (signal: Signal): number => (signal === 'SIGINT' ? 130 : 143);

/** Lets the running command handle the first signal; returns the function that takes it back. */
export function onInterrupt(fn: (signal: Signal) => void): () => void {
  handler = fn;
  return () => {
    if (handler === fn) handler = undefined;
  };
}

export function installSignalHandlers(): void {
  let received = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      received++;
      if (handler && received === 1) {
        handler(signal);
        return;
      }
      cleanUpNow();
      process.exit(signalExitCode(signal));
    });
  }
}
