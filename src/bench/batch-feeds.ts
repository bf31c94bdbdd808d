// Feeds of a chosen batch size, built from the samples' rows: the first axis
// of every input is the batch axis; rows are taken from consecutive samples
// (a sample of shape [4, ...] gives 4 rows) and repeated from the start when
// the samples hold fewer rows than the batch needs.
import type ort from 'onnxruntime-node';
import { ndArrayToTensor } from '../data/to-ort.js';
import { elementCount, sliceFirstAxis, typedArrayFor, DTYPE_BYTES, type NdArray } from '../data/ndarray.js';

/** What a model's inputs allow for the batch axis. */
export type BatchAxis =
  | { kind: 'dynamic' }
  | { kind: 'fixed'; size: number }
  | { kind: 'none'; reason: string };

/**
 * The batch axis of a session's inputs (ORT's inputMetadata: a string
 * dimension is symbolic, a number fixed): dynamic when every input's first
 * dimension is symbolic, fixed when they are all the same number.
 */
export function batchAxisOf(meta: readonly ort.InferenceSession.ValueMetadata[]): BatchAxis {
  if (meta.length === 0) return { kind: 'none', reason: 'the model has no inputs' };
  let fixed: number | undefined;
  let dynamic = 0;
  for (const m of meta) {
    if (!m.isTensor || m.shape.length === 0) return { kind: 'none', reason: `input '${m.name}' has no first axis` };
    const d = m.shape[0];
    if (typeof d === 'string') dynamic++;
    else if (fixed === undefined || fixed === d) fixed = d;
    else return { kind: 'none', reason: `inputs disagree on the first dimension (${fixed} and ${d})` };
  }
  if (dynamic === meta.length) return { kind: 'dynamic' };
  if (dynamic === 0) return { kind: 'fixed', size: fixed! };
  return { kind: 'none', reason: 'some inputs have a symbolic first dimension and some a fixed one' };
}

/** Why a batch size cannot run on a model with this batch axis, or undefined when it can. */
export function batchRefusal(axis: BatchAxis, batch: number): string | undefined {
  if (axis.kind === 'dynamic') return undefined;
  if (axis.kind === 'fixed') return axis.size === batch ? undefined : `the model's batch dimension is fixed at ${axis.size}`;
  return axis.reason;
}

/**
 * Collects up to `needed` rows per input from the samples it is shown, as
 * views of the samples' arrays (no copies until feeds are built).
 */
export class RowCollector {
  private readonly rows = new Map<string, NdArray[]>();
  private count = 0;
  /** why the samples cannot be split into rows, if they cannot */
  problem: string | undefined;

  constructor(readonly inputNames: readonly string[], readonly needed: number) {}

  get rowCount(): number {
    return this.count;
  }

  /** Takes rows from this sample if more are needed. */
  add(inputs: Map<string, NdArray>, source: string): void {
    if (this.count >= this.needed || this.problem) return;
    let k: number | undefined;
    for (const name of this.inputNames) {
      const a = inputs.get(name);
      if (!a || a.shape.length === 0) {
        this.problem = `sample ${source}: input '${name}' has no first axis to take rows from`;
        return;
      }
      if (k === undefined) k = a.shape[0]!;
      else if (k !== a.shape[0]) {
        this.problem = `sample ${source}: inputs have different first dimensions (${k} and ${a.shape[0]})`;
        return;
      }
    }
    const take = Math.min(k ?? 0, this.needed - this.count);
    if (take <= 0) return;
    for (const name of this.inputNames) {
      const a = inputs.get(name)!;
      let list = this.rows.get(name);
      if (!list) this.rows.set(name, (list = []));
      for (let i = 0; i < take; i++) list.push(sliceFirstAxis(a, i, i + 1));
    }
    this.count += take;
  }

  /** Feeds of `batch` rows (repeating the rows collected when there are fewer). */
  feeds(batch: number): Record<string, ort.Tensor> {
    if (this.problem) throw new RangeError(this.problem);
    if (this.count === 0) throw new RangeError('no rows collected');
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.inputNames) feeds[name] = ndArrayToTensor(stackRows(this.rows.get(name)!, batch));
    return feeds;
  }
}

/** The rows (each of shape [1, ...rest]) stacked into [batch, ...rest], cycling through them. */
export function stackRows(rows: readonly NdArray[], batch: number): NdArray {
  const first = rows[0]!;
  const rest = first.shape.slice(1);
  const rowElements = elementCount(rest);
  const data = typedArrayFor(first.dtype, new ArrayBuffer(batch * rowElements * DTYPE_BYTES[first.dtype]), 0, batch * rowElements);
  for (let i = 0; i < batch; i++) {
    // Same storage type for every row of one input, so set() copies element by element without conversion.
    (data as { set(a: ArrayLike<number | bigint>, offset: number): void }).set(rows[i % rows.length]!.data as ArrayLike<number | bigint>, i * rowElements);
  }
  return { dtype: first.dtype, shape: [batch, ...rest], data };
}
