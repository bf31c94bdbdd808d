// Per-node time from ONNX Runtime's own profile (enableProfiling): the model
// runs a few times, the profile file is read back, and each kernel's duration
// is averaged over the timed runs. These are the nodes after graph
// optimisation: fused QLinearConv / QGemm, the Q/DQ nodes left standing, the
// layout nodes (Transpose, ReorderInput/Output) a quantized or NCHWc kernel adds.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type ort from 'onnxruntime-node';
import type { ModelProto } from '../onnx/proto.js';
import { openSessionFor } from '../quant/ort-session.js';

export interface NodeTime {
  /** the optimised node's name as ORT reports it */
  name: string;
  op: string;
  /** median kernel time per run, ms */
  ms: number;
  /** execution order in the first timed run */
  order: number;
}

export interface ProfileOptions {
  threads?: number;
  providers?: string[];
  /** untimed runs of each model first (default 3) */
  warmupRuns?: number;
  /** timed runs of each model, at least (default 15), and until minTimeMs of runs, both together (default 1000) */
  runs?: number;
  minTimeMs?: number;
}

type Source = ModelProto | string;

/**
 * Kernel times per optimised node of two models, profiled together: their
 * runs alternate (A, B, B, A, ...), as src/bench/latency.ts interleaves turns,
 * so that load on a shared machine hits both alike; per node the median over
 * the timed runs (robust to a run a neighbour interrupted).
 */
export async function profilePair(a: Source, b: Source, sourceFile: string, feeds: Record<string, ort.Tensor>, opts: ProfileOptions = {}):
  Promise<{ a: NodeTime[]; b: NodeTime[]; runs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'oq-node-profile-'));
  const sessions: ort.InferenceSession[] = [];
  try {
    const open = async (m: Source, prefix: string) => {
      const options: ort.InferenceSession.SessionOptions = {
        enableProfiling: true, profileFilePrefix: join(dir, prefix), graphOptimizationLevel: 'all',
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
        ...(opts.providers ? { executionProviders: opts.providers } : {}),
      };
      const s = typeof m === 'string'
        ? await (await import('onnxruntime-node')).default.InferenceSession.create(m, { logSeverityLevel: 3, ...options })
        : await openSessionFor(m, sourceFile, options);
      sessions.push(s);
      return s;
    };
    const sa = await open(a, 'a');
    const sb = await open(b, 'b');
    const warmup = opts.warmupRuns ?? 3;
    for (let i = 0; i < warmup; i++) {
      await sa.run(feeds);
      await sb.run(feeds);
    }
    let runs = 0;
    const start = performance.now();
    while (runs < (opts.runs ?? 15) || performance.now() - start < (opts.minTimeMs ?? 1000)) {
      const [first, second] = runs % 2 === 0 ? [sa, sb] : [sb, sa];
      await first.run(feeds);
      await second.run(feeds);
      runs++;
      if (runs >= 500) break;
    }
    sa.endProfiling();
    sb.endProfiling();
    const read = (prefix: string) => {
      const file = readdirSync(dir).find((f) => f.startsWith(prefix) && f.endsWith('.json'));
      if (!file) throw new Error('ONNX Runtime wrote no profile');
      return nodeTimes(JSON.parse(readFileSync(join(dir, file), 'utf8')), warmup, runs);
    };
    return { a: read('a'), b: read('b'), runs: 2 * (runs + warmup) };
  } finally {
    for (const s of sessions) await s.release().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Kernel events grouped per node; the first `skipRuns` runs (warm-up) are
 * left out by counting each node's events in order.
 */
export function nodeTimes(events: unknown, skipRuns: number, runs: number): NodeTime[] {
  if (!Array.isArray(events)) return [];
  const byNode = new Map<string, { op: string; durs: number[]; order: number }>();
  let order = 0;
  for (const e of events as Array<Record<string, unknown>>) {
    if (!e || e.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    const args = (e.args ?? {}) as Record<string, unknown>;
    let entry = byNode.get(name);
    if (!entry) byNode.set(name, (entry = { op: typeof args.op_name === 'string' ? args.op_name : '?', durs: [], order: order++ }));
    entry.durs.push(typeof e.dur === 'number' ? e.dur : 0);
  }
  const out: NodeTime[] = [];
  for (const [name, { op, durs, order: o }] of byNode) {
    const timed = (durs.length > runs ? durs.slice(durs.length - runs) : durs.slice(Math.min(skipRuns, durs.length - 1))).sort((x, y) => x - y);
    const median = timed.length ? (timed[(timed.length - 1) >> 1]! + timed[timed.length >> 1]!) / 2 : 0;
    out.push({ name, op, ms: median / 1000, order: o });
  }
  return out.sort((a, b) => a.order - b.order);
}

/**
 * The original node an optimised node stands for: its own name, or with the
 * suffixes ORT's transformers add removed ("conv1_token_1", "relu1_out_nchwc",
 * "fused fc1"), or the node producing the tensor it is named after.
 */
export function originalNodeOf(name: string, nodeNames: Set<string>, producerOf: Map<string, string>): string | undefined {
  const candidates = [name];
  let base = name.replace(/^fused /, '');
  candidates.push(base);
  for (;;) {
    const next = base.replace(/(_token_\d+|_nchwc|_quant|_output_\d+|\/duplicated)$/, '');
    if (next === base) break;
    base = next;
    candidates.push(base);
  }
  for (const c of candidates) if (nodeNames.has(c)) return c;
  for (const c of candidates) if (producerOf.has(c)) return producerOf.get(c);
  return undefined;
}
