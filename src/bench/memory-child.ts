// Child process of measureModelMemory (memory.ts): loads one model in an ONNX
// Runtime session, runs it, and reports the load time and this process's peak
// resident memory (VmHWM, its own address space only), so one model's memory
// does not hide in another's. Then, with the measurement taken, a second
// session with profiling on runs once to tell which provider ran which nodes.
//
// stdin: one JSON line (MemoryChildRequest) and then the inputs' bytes, in order.
// stdout: one JSON line (MemoryChildReply).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { peakRssBytes } from './peak-rss.js';
import { placementFromProfile, type ProviderPlacement } from './placement.js';
import { typedArrayFor, type DType } from '../data/ndarray.js';
import { encodeModel, makeGraph, makeModel, makeNode, makeValueInfo } from '../onnx/build.js';
import { DataType } from '../onnx/dtypes.js';
import { cleanUpNow, removeOnExit } from '../cleanup.js';

// Stopped by an interrupted parent (SIGTERM): the profile folder goes with it. Ctrl-C reaches the
// whole process group: the parent decides, so that it can tell an interruption from a failure.
process.once('SIGTERM', () => {
  cleanUpNow();
  process.exit(143);
});
process.on('SIGINT', () => undefined);

export interface MemoryChildRequest {
  file: string;
  providers: string[];
  threads: number | null;
  warmupRuns: number;
  runs: number;
  placement: boolean;
  inputs: Array<{ name: string; dtype: DType; dims: number[]; byteLength: number }>;
}

export type MemoryChildReply =
  | {
    ok: true;
    loadMs: number;
    runs: number;
    /** median of the timed runs (ms), for reference: latency proper is measured interleaved in the parent */
    runMedianMs: number;
    /** VmHWM before the session was created (Node, ONNX Runtime initialised by a one-node session, the inputs read) */
    baselineRssBytes: number;
    /** VmHWM right after the session was created */
    loadPeakRssBytes: number;
    /** VmHWM after the runs */
    peakRssBytes: number;
    placement: ProviderPlacement[] | null;
    placementError?: string;
  }
  | { ok: false; error: string; stage: 'input' | 'load' | 'run' };

ort.env.logLevel = 'error';

const WARM_MODEL = encodeModel(makeModel(makeGraph({
  name: 'warm',
  nodes: [makeNode('Add', ['x', 'x'], ['y'], 'add')],
  inputs: [makeValueInfo('x', DataType.FLOAT, [1, 4])],
  outputs: [makeValueInfo('y', DataType.FLOAT, [1, 4])],
}), 13, 8));

function reply(r: MemoryChildReply): void {
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function main(): Promise<void> {
  let request: MemoryChildRequest;
  const feeds: Record<string, ort.Tensor> = {};
  try {
    const all = await readStdin();
    const nl = all.indexOf(0x0a);
    request = JSON.parse(all.subarray(0, nl).toString('utf8')) as MemoryChildRequest;
    let at = nl + 1;
    for (const input of request.inputs) {
      const bytes = new Uint8Array(input.byteLength);
      bytes.set(all.subarray(at, at + input.byteLength));
      at += input.byteLength;
      const elements = input.dims.reduce((a, b) => a * b, 1);
      const data = typedArrayFor(input.dtype, bytes.buffer, 0, elements);
      feeds[input.name] = new ort.Tensor(input.dtype, data as ort.Tensor.DataTypeMap[DType], input.dims);
    }
  } catch (err) {
    reply({ ok: false, stage: 'input', error: (err as Error).message });
    return;
  }

  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: request.providers,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(request.threads !== null ? { intraOpNumThreads: request.threads } : {}),
  };
  // ONNX Runtime's environment (logging, allocators, global state) is set up
  // by the first session: a one-node session first, so that the baseline
  // holds it and the model's session is measured on its own.
  try {
    const warm = await ort.InferenceSession.create(WARM_MODEL, { executionProviders: ['cpu'], logSeverityLevel: 3 });
    await warm.run({ x: new ort.Tensor('float32', new Float32Array(4), [1, 4]) });
    await warm.release();
  } catch {
    // the baseline is then Node and the library only
  }
  const baselineRssBytes = peakRssBytes();
  let session: ort.InferenceSession;
  const t0 = performance.now();
  try {
    session = await ort.InferenceSession.create(request.file, options);
  } catch (err) {
    reply({ ok: false, stage: 'load', error: (err as Error).message });
    return;
  }
  const loadMs = performance.now() - t0;
  const loadPeakRssBytes = peakRssBytes();
  const times: number[] = [];
  try {
    for (let i = 0; i < request.warmupRuns; i++) await session.run(feeds);
    for (let i = 0; i < request.runs; i++) {
      const t = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t);
    }
  } catch (err) {
    reply({ ok: false, stage: 'run', error: (err as Error).message });
    return;
  }
  const peak = peakRssBytes();
  await session.release();
  times.sort((a, b) => a - b);
  const runMedianMs = times.length ? (times[(times.length - 1) >> 1]! + times[times.length >> 1]!) / 2 : 0;

  let placement: ProviderPlacement[] | null = null;
  let placementError: string | undefined;
  if (request.placement) {
    const dir = mkdtempSync(join(tmpdir(), 'oq-profile-'));
    const forget = removeOnExit(dir);
    try {
      const profiled = await ort.InferenceSession.create(request.file, { ...options, enableProfiling: true, profileFilePrefix: join(dir, 'profile') });
      await profiled.run(feeds);
      profiled.endProfiling();
      await profiled.release();
      const file = readdirSync(dir).find((f) => f.endsWith('.json'));
      if (!file) throw new Error('ONNX Runtime wrote no profile');
      placement = placementFromProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    } catch (err) {
      placementError = (err as Error).message;
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forget();
    }
  }
  reply({
    ok: true, loadMs, runs: times.length, runMedianMs, baselineRssBytes, loadPeakRssBytes, peakRssBytes: peak, placement,
    ...(placementError ? { placementError } : {}),
  });
}

await main();
