// Tensors computed on first use: a TensorProto with its name, type and
// shape, whose bytes a function produces only when something reads them
// (saving, mostly). A rewrite of a multi-GB model registers one per new
// weight instead of holding every result in memory; the save then streams
// them to disk one at a time, so memory holds one weight's worth of work.
//
// Several tensors often come from one computation (packed weights, scales
// and zero points of the same matrix): `computedGroup` runs it once for all
// of them and forgets the result once each member has been read.
import { onnx, toLong, type ModelProto, type TensorProto } from './proto.js';
import { mapModelTensors } from './walk-tensors.js';

type Compute = () => Uint8Array;

const computed = new WeakMap<TensorProto, Compute>();

/** A tensor whose raw bytes `compute` returns when first read (and again on each read). */
export function makeComputedTensor(name: string, dims: number[], dataType: number, compute: Compute): TensorProto {
  const t = new onnx.TensorProto({ name, dims: dims.map((d) => toLong(d)), dataType });
  computed.set(t, compute);
  return t;
}

export function isComputed(t: TensorProto): boolean {
  return computed.has(t);
}

/** The bytes of a computed tensor; undefined for any other tensor. */
export function computedBytes(t: TensorProto): Uint8Array | undefined {
  return computed.get(t)?.();
}

export interface GroupMember {
  name: string;
  dims: number[];
  dataType: number;
}

/**
 * Tensors produced together: `compute` returns one byte array per member, in
 * order. It runs when the first member is read; the results are kept until
 * every member has been read once, then dropped (a later read recomputes).
 */
export function computedGroup(members: GroupMember[], compute: () => Uint8Array[]): TensorProto[] {
  let results: Uint8Array[] | undefined;
  let unread = new Set<number>();
  return members.map((m, i) => makeComputedTensor(m.name, m.dims, m.dataType, () => {
    if (!results || !unread.has(i)) {
      results = compute();
      if (results.length !== members.length) throw new Error(`computed group for ${members[0]?.name}: ${results.length} results for ${members.length} tensors`);
      unread = new Set(members.keys());
    }
    const bytes = results[i]!;
    unread.delete(i);
    if (unread.size === 0) results = undefined;
    return bytes;
  }));
}

/** A copy of `model` (copy-on-write) with every computed tensor replaced by one holding its bytes. */
export function inlineComputedTensors(model: ModelProto): ModelProto {
  return mapModelTensors(model, (t) => {
    const bytes = computedBytes(t);
    if (!bytes) return t;
    return new onnx.TensorProto({ name: t.name, dims: t.dims, dataType: t.dataType, rawData: bytes });
  });
}
