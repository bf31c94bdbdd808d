// A worker process of the batch runner: quantizes one model at a time, as the
// parent asks over IPC, and answers with the result or the error. Each worker
// has its own memory and its own ONNX Runtime, so several models quantize on
// several cores and one that crashes takes only its own job down.
import { quantizeFile, type QuantizeFileOptions } from '../quant/quantize-file.js';
import { QuantizeError } from '../errors.js';
import { cleanUpNow } from '../cleanup.js';
import { setQuantizeSessionThreads } from '../quant/ort-session.js';

// Its share of the CPUs, from the pool (argv[2]).
const threads = Number(process.argv[2]);
if (Number.isInteger(threads) && threads >= 1) setQuantizeSessionThreads(threads);

export interface WorkerRequest {
  id: number;
  input: string;
  output: string;
  options: QuantizeFileOptions;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  exitCode?: number;
}

export type WorkerReply =
  | { id: number; ok: true; result: Awaited<ReturnType<typeof quantizeFile>> }
  | { id: number; ok: false; error: SerializedError };

// Stopped by SIGTERM, or orphaned (the parent gone, the IPC channel closed): its .work- folder goes
// with it. Ctrl-C reaches the whole process group: the parent decides (it kills the workers and
// removes their folders), so that it can tell an interruption from a worker that failed.
process.once('SIGTERM', () => {
  cleanUpNow();
  process.exit(143);
});
process.once('disconnect', () => {
  cleanUpNow();
  process.exit(0);
});
process.on('SIGINT', () => undefined);

process.on('message', (message: WorkerRequest) => {
  void handle(message);
});

async function handle(request: WorkerRequest): Promise<void> {
  let reply: WorkerReply;
  try {
    reply = { id: request.id, ok: true, result: await quantizeFile(request.input, request.output, request.options) };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = {
      id: request.id, ok: false,
      error: {
        name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}),
        ...(err instanceof QuantizeError ? { code: err.code, exitCode: err.exitCode } : {}),
      },
    };
  }
  process.send!(reply);
}
