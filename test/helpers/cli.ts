// Runs the built CLI as a subprocess, as a user would.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const cliPath = join(repoRoot, 'bin/quantize');

export function runCli(args: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts the CLI, calls `when()` every few milliseconds until it returns
 * true, then sends `signal`: to the CLI alone (a CI runner's `kill`), or with
 * `group` to its whole process group, children included (what Ctrl-C in a
 * terminal does); resolves with how the CLI ended.
 */
export function interruptCli(args: string[], when: (pid: number) => boolean, signal: NodeJS.Signals, options: { cwd?: string; group?: boolean } = {}): Promise<CliResult & { signalled: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, NO_COLOR: '1' }, ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.group ? { detached: true } : {}),
    });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const poll = setInterval(() => {
      if (!signalled && when(child.pid!)) {
        signalled = true;
        if (options.group) process.kill(-child.pid!, signal);
        else child.kill(signal);
      }
    }, 5);
    const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      clearTimeout(limit);
      resolve({ code: code ?? -1, stdout, stderr, signalled });
    });
  });
}
