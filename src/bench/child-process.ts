// Running one of the benchmark's helper scripts (probe-child, memory-child) in
// a child process: the script sits beside this module in the build output
// (dist/src/bench/), found from this module's own URL, so it works from any
// working directory and in a clean clone after `npm run build`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RuntimeFailure } from '../errors.js';
import { stopOnExit } from '../cleanup.js';

/** The path of a helper script compiled beside this module ('memory-child' → .../dist/src/bench/memory-child.js). */
export function childScriptPath(name: string): string {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(file)) {
    throw new RuntimeFailure(`${file} is missing: the benchmark's helper scripts are built with the rest (run npm run build)`);
  }
  return file;
}

export interface ChildOutcome {
  /** exit code, or null when a signal ended it */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** true when it ran past the time limit and was killed */
  timedOut: boolean;
}

/**
 * Runs `node <script> ...args` with `input` on its stdin; resolves when it
 * exits (whatever the exit code). The child gets this process's environment
 * and none of its Node flags (a test runner's flags would change the child).
 */
export function runChildScript(script: string, args: readonly string[], input?: Uint8Array, timeoutMs = 0): Promise<ChildOutcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    // Stopped (SIGTERM: it removes its own temporary files) if this run is interrupted.
    stopOnExit(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = timeoutMs > 0
      ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(new RuntimeFailure(`cannot start ${process.execPath} ${script}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    // A child that exits before reading all of stdin must not crash this process (EPIPE).
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ? Buffer.from(input.buffer, input.byteOffset, input.byteLength) : undefined);
  });
}

/** The JSON lines a child printed on stdout (lines that are not JSON objects are ignored). */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(t) as Record<string, unknown>);
    } catch {
      // a native library's stray output: not ours
    }
  }
  return lines;
}

/** The last line of a child's stderr worth showing, for messages about a child that failed. */
export function lastStderrLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.length ? lines[lines.length - 1]!.slice(0, 300) : '';
}
