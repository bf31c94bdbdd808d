// Worker processes for the quantizations of a batch (quantize-child.js, built
// beside this module): started as needed up to the pool's size, reused from
// one model to the next. A worker that dies mid-job fails that job only
// (its .work- folder is removed here) and the next job gets a fresh one.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QuantizeError, RuntimeFailure } from '../errors.js';
import { stopOnExit } from '../cleanup.js';
import type { QuantizeFileOptions, QuantizeFileResult } from '../quant/quantize-file.js';
import type { SerializedError, WorkerReply, WorkerRequest } from './quantize-child.js';

interface Worker {
  child: ChildProcess;
  /** the job it runs, if any */
  busy?: { id: number; output: string; resolve(r: QuantizeFileResult): void; reject(e: Error): void };
}

export class WorkerPool {
  private readonly workers = new Set<Worker>();
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(w: Worker) => void> = [];
  private nextId = 1;
  private closed = false;
  private readonly script = fileURLToPath(new URL('./quantize-child.js', import.meta.url));

  /**
   * @param size workers at most
   * @param threads ONNX Runtime intra-op threads in each worker (its share of the CPUs)
   */
  constructor(private readonly size: number, private readonly threads?: number) {}

  async quantize(input: string, output: string, options: QuantizeFileOptions): Promise<QuantizeFileResult> {
    const { onProgress: _unused, ...plain } = options;
    const worker = await this.acquire();
    try {
      return await new Promise<QuantizeFileResult>((resolve, reject) => {
        const id = this.nextId++;
        worker.busy = { id, output, resolve, reject };
        worker.child.send({ id, input, output, options: plain } satisfies WorkerRequest);
      });
    } finally {
      worker.busy = undefined;
      this.release(worker);
    }
  }

  /** Outputs of the jobs running now. */
  running(): string[] {
    return [...this.workers].flatMap((w) => (w.busy ? [w.busy.output] : []));
  }

  /** Ends idle workers; the pool starts no new ones. */
  close(): void {
    this.closed = true;
    for (const w of this.idle.splice(0)) w.child.disconnect();
  }

  /**
   * Kills every worker at once (SIGKILL: one deep in a quantization loop would
   * not see a gentler signal for seconds), waits for them to be gone, and
   * removes the .work- folders of the jobs they were running.
   */
  async kill(): Promise<void> {
    this.closed = true;
    const outputs = this.running();
    const exits = [...this.workers].map((w) => new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) resolve();
      else {
        w.child.once('exit', () => resolve());
        w.child.kill('SIGKILL');
      }
    }));
    await Promise.all(exits);
    for (const output of outputs) removeWorkFolders(output);
  }

  private async acquire(): Promise<Worker> {
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.workers.size < this.size && !this.closed) return this.start();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    if (!this.workers.has(worker)) {
      // It died: a waiting job gets a fresh one.
      const next = this.waiting.shift();
      if (next && !this.closed) next(this.start());
      return;
    }
    const next = this.waiting.shift();
    if (next) next(worker);
    else if (this.closed) worker.child.disconnect();
    else this.idle.push(worker);
  }

  private start(): Worker {
    if (!existsSync(this.script)) throw new RuntimeFailure(`${this.script} is missing: the worker script is built with the rest (run npm run build)`);
    // No inherited Node flags (a test runner's would change the worker); stdout kept off ours (NDJSON may be there).
    const child = fork(this.script, this.threads ? [String(this.threads)] : [], { execArgv: [], stdio: ['ignore', 'pipe', 'inherit', 'ipc'], serialization: 'advanced' });
    child.stdout?.on('data', (b: Buffer) => process.stderr.write(b));
    stopOnExit(child, 'SIGKILL');
    const worker: Worker = { child };
    this.workers.add(worker);
    child.on('message', (reply: WorkerReply) => {
      const busy = worker.busy;
      if (!busy || busy.id !== reply.id) return;
      if (reply.ok) busy.resolve(reply.result);
      else busy.reject(rebuildError(reply.error));
    });
    child.on('exit', (code, signal) => {
      this.workers.delete(worker);
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      const busy = worker.busy;
      if (busy) {
        removeWorkFolders(busy.output);
        busy.reject(new RuntimeFailure(`the worker process quantizing into ${busy.output} ended unexpectedly (${signal ?? `exit code ${code}`}): out of memory, or a crash in ONNX Runtime`));
      }
    });
    return worker;
  }
}

/** A worker's error as an error of this process, with its exit code and the worker's stack. */
function rebuildError(e: SerializedError): Error {
  const err = e.code !== undefined ? new QuantizeError(e.code, e.message, e.exitCode ?? 1) : new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = e.stack;
  return err;
}

/** The private folders quantizeFile makes beside an output (.<name>.work-XXXXXX). */
export function removeWorkFolders(output: string): void {
  const dir = dirname(output);
  const prefix = `.${basename(output)}.work-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix)) rmSync(join(dir, name), { recursive: true, force: true });
}
