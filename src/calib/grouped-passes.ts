// Running the samples with intermediate tensors exposed as outputs, in
// groups small enough for a memory budget (--calib-memory). Every exposed
// tensor of a run is held at once (by ONNX Runtime, then as a JavaScript
// copy), so a 1024x1024 U-Net exposing hundreds of multi-megabyte tensors
// would need gigabytes per sample; in groups, each pass over the samples
// exposes only the tensors whose sizes (measured on the first sample) fit.
import type ort from 'onnxruntime-node';
import type { ModelProto } from '../onnx/proto.js';
import { halfArrayToFloat32 } from '../onnx/float16.js';
import type { Dataset } from '../data/dataset.js';
import { toFeeds } from '../data/to-ort.js';
import { CarryState } from '../data/carry.js';
import type { CalibrationSession } from './calibrate.js';
import { pruneToOutputs } from './prune-graph.js';
import { releaseMemory } from '../release-memory.js';

/** Exposed bytes of one run above which garbage is collected before the next sample (see runGroup). */
const COLLECT_ABOVE = 64 * 2 ** 20;

/** The element types of the model's own outputs (carried states keep theirs). */
export function outputTypes(model: ModelProto): Map<string, number> {
  return new Map((model.graph?.output ?? []).map((v) => [v.name ?? '', v.type?.tensorType?.elemType ?? 1]));
}

/** The default budget for tensors exposed in one run: 2 GiB. */
export const DEFAULT_CALIB_MEMORY = 2 * 1024 ** 3;

/**
 * Splits `tensors` (in order) into groups whose summed bytes stay within
 * `budget`; a tensor larger than the budget gets a group of its own.
 * Tensors of unknown size count as the largest known.
 */
export function groupTensors(tensors: readonly string[], bytes: ReadonlyMap<string, number>, budget: number): string[][] {
  const largest = Math.max(0, ...bytes.values());
  const groups: string[][] = [];
  let current: string[] = [];
  let used = 0;
  for (const t of tensors) {
    const b = bytes.get(t) ?? largest;
    if (current.length > 0 && used + b > budget) {
      groups.push(current);
      current = [];
      used = 0;
    }
    current.push(t);
    used += b;
  }
  if (current.length) groups.push(current);
  return groups;
}

/**
 * Runs every sample once per group, with that group's tensors exposed, and
 * hands each tensor's values (as float32) to `visit`. Outputs carried to
 * the next window (--carry) are fetched too and fed back.
 */
export async function forEachSampleGrouped(model: ModelProto, groups: string[][], elemType: number, dataset: Dataset, inputNames: string[],
  openSession: CalibrationSession, visit: (name: string, values: Float32Array) => void, onSample?: () => void): Promise<void> {
  for (const group of groups) {
    const carry = new CarryState(dataset.carry ?? []);
    // Only the part of the graph these tensors depend on runs.
    const session = await openSession(pruneToOutputs(model, [...new Set([...group, ...carry.outputs])], elemType, outputTypes(model)));
    try {
      await runGroup(session, group, carry, dataset, inputNames, visit, onSample);
    } finally {
      carry.clear();
      await session.release();
    }
  }
}

async function runGroup(session: ort.InferenceSession, group: string[], carry: CarryState, dataset: Dataset, inputNames: string[],
  visit: (name: string, values: Float32Array) => void, onSample?: () => void): Promise<void> {
  const fetches = [...new Set([...group, ...carry.outputs])];
  const carried = new Set(carry.outputs);
  for await (const sample of dataset.samples()) {
    const feeds = toFeeds(sample.inputs, inputNames);
    carry.feed(feeds, sample.sequenceStart);
    const outputs = await session.run(feeds, fetches);
    let bytes = 0;
    for (const name of group) {
      const t = outputs[name]!;
      bytes += (t.data as Float32Array).byteLength;
      visit(name, t.type === 'float16' ? halfArrayToFloat32(t.data as Uint16Array) : (t.data as Float32Array));
      if (!carried.has(name)) t.dispose();
    }
    carry.update(outputs);
    onSample?.();
    // The outputs are copies in ArrayBuffers outside V8's heap, which V8 frees
    // only at its next collection; hundreds of MB a sample would pile up over
    // several samples first (measured: peak RSS 1.4 GiB with one sample, 2.6
    // GiB with ten), so collect now when a run returned that much.
    if (bytes > COLLECT_ABOVE) await releaseMemory();
  }
}
