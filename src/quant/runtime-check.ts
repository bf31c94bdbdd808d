// Does ONNX Runtime load the quantized model and give finite outputs on a
// sample? When not, which original node is to blame: the node the runtime
// names, or the first quantized node whose output turns non-finite.
import ort from 'onnxruntime-node';
import { loadModel } from '../onnx/load.js';
import type { ModelProto } from '../onnx/proto.js';
import { makeValueInfo } from '../onnx/build.js';
import { DataType } from '../onnx/dtypes.js';
import { cloneShallow } from '../onnx/walk-tensors.js';
import { openSessionFor, withSessionThreads } from './ort-session.js';

export interface RuntimeProblem {
  message: string;
  /** Original node names the problem points at (empty when it cannot tell). */
  nodes: string[];
}

const NODE_PATTERNS = [/Name:\s*'([^']+)'/, /Node \(([^)]+)\)/, /node '([^']+)'/i, /node ([\w./:-]+)/i];

/** The original node a runtime message names: directly, through a created node, or an ORT-fused name (…_quant). */
export function blameFromMessage(message: string, origin: Map<string, string[]>): string[] {
  for (const pattern of NODE_PATTERNS) {
    const m = pattern.exec(message);
    if (!m) continue;
    const name = m[1]!;
    for (const candidate of [name, name.replace(/_quant$/, ''), name.replace(/_(QuantizeLinear|DequantizeLinear)$/, '')]) {
      const found = origin.get(candidate);
      if (found?.length) return found;
    }
  }
  // Last resort: the longest original node name that appears in the text.
  let best = '';
  for (const [created, originals] of origin) if (created.length > best.length && message.includes(created) && originals.length) best = created;
  return best ? origin.get(best)! : [];
}

function allFinite(t: ort.Tensor): boolean {
  if (t.type !== 'float32') return true;
  return (t.data as Float32Array).every(Number.isFinite);
}

/**
 * Session options of the check: full graph optimisation (fusion is where
 * quantized models fail), but no weight prepacking, which would hold a
 * second, repacked copy of every integer weight only to be thrown away.
 * Low-bit models keep prepacking: without it MatMulNBits runs a slow
 * fallback (measured: 5.1 s against 0.23 s for one token of a 0.9 GB
 * decoder's q4 form), and its packed weights are small.
 */
const CHECK_OPTIONS: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3, extra: { session: { disable_prepacking: '1' } } };
const CHECK_OPTIONS_PREPACKED: ort.InferenceSession.SessionOptions = { logSeverityLevel: 3 };

export interface CheckOptions {
  /** Let ONNX Runtime prepack weights (low-bit models: MatMulNBits needs it to run at speed). */
  prepack?: boolean;
}

/**
 * Checks a quantized model held in memory (`model` a ModelProto, `file` the
 * path its external data is relative to) or written to a path (`model` the
 * path, which ORT reads itself: no second copy in this process).
 */
export async function findRuntimeProblem(model: ModelProto | string, file: string, feeds: Record<string, ort.Tensor> | undefined,
  origin: Map<string, string[]>, check: CheckOptions = {}): Promise<RuntimeProblem | undefined> {
  let session: ort.InferenceSession;
  const options = check.prepack ? CHECK_OPTIONS_PREPACKED : CHECK_OPTIONS;
  try {
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, withSessionThreads(options)) : await openSessionFor(model, file, options);
  } catch (err) {
    const message = (err as Error).message;
    return { message: `ONNX Runtime refused the quantized model: ${message}`, nodes: blameFromMessage(message, origin) };
  }
  if (!feeds) {
    await session.release();
    return undefined;
  }
  let bad: string | undefined;
  try {
    const outputs = await session.run(feeds);
    for (const [name, t] of Object.entries(outputs)) if (!allFinite(t)) bad ??= name;
  } catch (err) {
    const message = (err as Error).message;
    return { message: `ONNX Runtime failed to run the quantized model: ${message}`, nodes: blameFromMessage(message, origin) };
  } finally {
    await session.release();
  }
  if (!bad) return undefined;
  const proto = typeof model === 'string' ? loadModel(model).proto : model;
  return { message: `the quantized model gives non-finite values in output '${bad}'`, nodes: await firstNonFiniteNode(proto, file, feeds, origin) };
}

/** Exposes the outputs of the nodes the rewrite touched and returns the first (graph order) that is non-finite. */
async function firstNonFiniteNode(proto: ModelProto, file: string, feeds: Record<string, ort.Tensor>, origin: Map<string, string[]>): Promise<string[]> {
  const graph = proto.graph!;
  const touched = (graph.node ?? []).filter((n) => origin.has(n.name ?? '') && (n.output ?? [])[0]);
  const existing = new Set((graph.output ?? []).map((v) => v.name));
  const extra = touched.map((n) => n.output![0]!).filter((o) => !existing.has(o));
  const g = cloneShallow(graph);
  g.output = [...(graph.output ?? []), ...extra.map((o) => makeValueInfo(o, DataType.FLOAT))];
  const copy = cloneShallow(proto);
  copy.graph = g;
  try {
    const session = await openSessionFor(copy, file);
    try {
      const outputs = await session.run(feeds);
      for (const n of touched) {
        const t = outputs[n.output![0]!];
        if (t && !allFinite(t)) return origin.get(n.name ?? '') ?? [];
      }
    } finally {
      await session.release();
    }
  } catch {
    // The probe itself failed (an output of another type, say): no blame.
  }
  return [];
}
