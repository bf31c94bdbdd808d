// What an interrupted run must not leave behind: temporary files and folders
// (a quantization's private .work- folder, a file being written before its
// rename) and child processes (benchmark helpers, worker processes). Code
// that makes one registers it here and unregisters it when done; the entry
// point calls cleanUpNow() when SIGINT or SIGTERM arrives, just before it
// exits. Everything here is synchronous: a signal handler has no time to wait.
import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

const paths = new Set<string>();
const children = new Map<ChildProcess, NodeJS.Signals>();

/** Registers a temporary file or folder; the returned function unregisters it (call it once it is renamed or removed). */
export function removeOnExit(path: string): () => void {
  paths.add(path);
  return () => {
    paths.delete(path);
  };
}

/**
 * Registers a child process to stop on interruption, with the signal to
 * send: SIGTERM for one that cleans up after itself, SIGKILL for one whose
 * leftovers the caller removes.
 */
export function stopOnExit(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): () => void {
  children.set(child, signal);
  const forget = (): void => {
    children.delete(child);
  };
  child.once('exit', forget);
  return forget;
}

/** Stops the registered children and removes the registered paths, now. */
export function cleanUpNow(): void {
  for (const [child, signal] of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const path of paths) {
    try {
      rmSync(path, { recursive: true, force: true });
    } catch {
      // best effort: the process is ending
    }
  }
  paths.clear();
}
