// Memory of one model: a child process (memory-child.ts) creates the session
// and runs it on the given feeds, so that its peak resident memory is that
// model's alone and not the high-water mark of whatever ran before it.
import type ort from 'onnxruntime-node';
import { RuntimeFailure } from '../errors.js';
import type { DType } from '../data/ndarray.js';
import { childScriptPath, jsonLines, lastStderrLine, runChildScript } from './child-process.js';
import type { MemoryChildReply, MemoryChildRequest } from './memory-child.js';
import type { ProviderPlacement } from './placement.js';

export interface MemoryOptions {
  /** execution providers of the session (default ['cpu']) */
  providers?: string[];
  /** intra-op threads (default: ONNX Runtime's) */
  threads?: number | null;
  /** untimed runs before the counted ones (default 2) */
  warmupRuns?: number;
  /** runs after the warm-up (default 10) */
  runs?: number;
  /** also profile one run to tell which provider ran which nodes (default true) */
  placement?: boolean;
  /** time allowed for the child (default 600 s) */
  timeoutMs?: number;
}

export interface MemoryResult {
  /** session creation time in the child (ms): reading the file, graph optimisation, kernel set-up */
  loadMs: number;
  /** runs counted after the warm-up */
  runs: number;
  /** median time of those runs in the child (ms); not interleaved, for reference only */
  runMedianMs: number;
  /** peak resident memory of the child before the session existed (Node and ONNX Runtime loaded) */
  baselineRssBytes: number;
  /** peak resident memory once the session was created */
  loadPeakRssBytes: number;
  /** peak resident memory of the child over session creation and the runs (VmHWM) */
  peakRssBytes: number;
  /** peakRssBytes − baselineRssBytes: what the model's session and its runs added */
  sessionRssBytes: number;
  /** which provider ran which nodes (ONNX Runtime's profile of one run); null when not asked or not available */
  placement: ProviderPlacement[] | null;
  /** why placement is null although it was asked for */
  placementError?: string;
}

/**
 * Measures one model's memory in a child process.
 * @throws RuntimeFailure when the child cannot load or run the model, or dies
 */
export async function measureModelMemory(file: string, feeds: Record<string, ort.Tensor>, options: MemoryOptions = {}): Promise<MemoryResult> {
  const inputs: MemoryChildRequest['inputs'] = [];
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(feeds)) {
    const data = t.data as ArrayBufferView;
    if (!ArrayBuffer.isView(data)) throw new RuntimeFailure(`input '${name}': ${t.type} tensors cannot be passed to the memory measurement`);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    inputs.push({ name, dtype: t.type as DType, dims: [...t.dims], byteLength: bytes.byteLength });
    parts.push(bytes);
  }
  const request: MemoryChildRequest = {
    file,
    providers: options.providers ?? ['cpu'],
    threads: options.threads ?? null,
    warmupRuns: options.warmupRuns ?? 2,
    runs: options.runs ?? 10,
    placement: options.placement ?? true,
    inputs,
  };
  const header = Buffer.from(`${JSON.stringify(request)}\n`, 'utf8');
  const input = Buffer.concat([header, ...parts]);
  const outcome = await runChildScript(childScriptPath('memory-child'), [], input, options.timeoutMs ?? 600_000);
  const reply = jsonLines(outcome.stdout).pop() as MemoryChildReply | undefined;
  if (!reply) {
    const how = outcome.timedOut ? 'did not finish in time' : outcome.signal ? `was killed (${outcome.signal})` : `exited with code ${outcome.code}`;
    const detail = lastStderrLine(outcome.stderr);
    throw new RuntimeFailure(`${file}: the memory measurement process ${how}${detail ? `: ${detail}` : ''}`);
  }
  if (!reply.ok) {
    const what = reply.stage === 'load' ? 'ONNX Runtime cannot load it' : reply.stage === 'run' ? 'ONNX Runtime failed to run it' : 'bad input';
    throw new RuntimeFailure(`${file}: ${what} (memory measurement): ${reply.error.split('\n')[0]}`);
  }
  return {
    loadMs: reply.loadMs,
    runs: reply.runs,
    runMedianMs: reply.runMedianMs,
    baselineRssBytes: reply.baselineRssBytes,
    loadPeakRssBytes: reply.loadPeakRssBytes,
    peakRssBytes: reply.peakRssBytes,
    sessionRssBytes: reply.peakRssBytes - reply.baselineRssBytes,
    placement: reply.placement,
    ...(reply.placementError ? { placementError: reply.placementError } : {}),
  };
}
