// How far a quantized model's outputs are from the original's: plain
// functions over Float32Array, and a streaming accumulator that folds one
// sample after another so that memory does not grow with the dataset.
//
// Sums are kept in float64 (JS numbers), whatever the element type.
import { halfArrayToFloat32 } from '../onnx/float16.js';

/** Any array of numeric values an output or a sample can come as. */
export type NumericArray =
  | Float32Array | Float64Array
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array
  | readonly number[];

/**
 * The values as a Float32Array: a Float32Array is returned as is (no copy);
 * `dtype` 'float16' reads a Uint16Array as IEEE half bit patterns (and
 * 'bfloat16' as bfloat16 bits); bigint arrays go through Number; anything
 * else converts element by element.
 */
export function toFloat32(data: NumericArray, dtype?: string): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array && dtype === 'float16') return halfArrayToFloat32(data);
  if (data instanceof Uint16Array && dtype === 'bfloat16') {
    const out = new Float32Array(data.length);
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < data.length; i++) bits[i] = data[i]! << 16;
    return out;
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]!);
    return out;
  }
  return Float32Array.from(data as ArrayLike<number>);
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: arrays differ in length (${a.length} vs ${b.length})`);
}

/**
 * cos(a, b) = a·b / (|a| |b|), clamped to [-1, 1].
 * Both all-zero: 1 (the two are the same). Exactly one all-zero: 0 (nothing
 * of the other's direction is kept). Empty arrays count as all-zero.
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  checkSameLength(a, b, 'cosineSimilarity');
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return cosineFromSums(dot, na, nb);
}

function cosineFromSums(dot: number, na: number, nb: number): number {
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  // sqrt of the product: exactly 1 for identical vectors (sqrt(fl(x²)) = x),
  // which the product of two square roots does not guarantee.
  const p = na * nb;
  const c = Number.isFinite(p) && p > 0 ? dot / Math.sqrt(p) : dot / (Math.sqrt(na) * Math.sqrt(nb));
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

/**
 * Signal-to-quantization-noise ratio in dB:
 * 10·log10(Σ reference² / Σ (reference − test)²).
 * Infinity when the two are identical (callers report it capped: "inf");
 * -Infinity when the reference is all zeros and the test is not.
 */
export function sqnrDb(reference: Float32Array, test: Float32Array): number {
  checkSameLength(reference, test, 'sqnrDb');
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]!;
    const e = r - test[i]!;
    signal += r * r;
    noise += e * e;
  }
  return sqnrFromSums(signal, noise);
}

function sqnrFromSums(signal: number, noise: number): number {
  if (noise === 0) return Infinity;
  if (signal === 0) return -Infinity;
  return 10 * Math.log10(signal / noise);
}

/** max |a − b|; 0 for empty arrays. */
export function maxAbsError(a: Float32Array, b: Float32Array): number {
  checkSameLength(a, b, 'maxAbsError');
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > m || Number.isNaN(d)) m = d;
  }
  return m;
}

/** mean |a − b|; 0 for empty arrays. */
export function meanAbsError(a: Float32Array, b: Float32Array): number {
  checkSameLength(a, b, 'meanAbsError');
  if (a.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

/**
 * Whether an output of this (concrete) shape holds class scores: [N, C] or
 * [C] with C ≥ 2. The last axis is the classes.
 */
export function isClassifierShape(shape: readonly number[]): boolean {
  if (shape.length === 1) return shape[0]! >= 2;
  if (shape.length === 2) return shape[1]! >= 2;
  return false;
}

/**
 * The index of the largest value in each row, the last axis being the row
 * (rows = length / shape's last dimension). Ties go to the first index; NaN
 * never wins unless the whole row is NaN (then 0).
 */
export function argmaxRows(data: Float32Array, shape: readonly number[]): Int32Array {
  const classes = shape.length === 0 ? data.length : shape[shape.length - 1]!;
  if (classes <= 0) return new Int32Array(0);
  if (data.length % classes !== 0) {
    throw new RangeError(`argmaxRows: ${data.length} values do not divide into rows of ${classes}`);
  }
  const rows = data.length / classes;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    let best = 0;
    let bestValue = -Infinity;
    let found = false;
    for (let c = 0; c < classes; c++) {
      const v = data[base + c]!;
      if (v > bestValue || (!found && v === -Infinity)) {
        bestValue = v;
        best = c;
        found = true;
      }
    }
    out[r] = best;
  }
  return out;
}

/** What a FidelityAccumulator has folded so far. */
export interface FidelitySummary {
  /** samples folded (calls to add) */
  samples: number;
  /** element pairs compared (finite in both) */
  elements: number;
  /** element pairs skipped because either value was NaN or ±Infinity */
  nonFinite: number;
  /** cosine similarity over all samples concatenated (see cosineSimilarity) */
  cosine: number;
  /** SQNR over all samples concatenated; Infinity when identical (see sqnrDb) */
  sqnrDb: number;
  maxAbsError: number;
  meanAbsError: number;
  /** classifier rows compared; 0 when the output is not classifier-shaped */
  rows: number;
  /** rows whose argmax is the same in reference and test */
  top1Agreements: number;
  /** top1Agreements / rows, or undefined when rows is 0 */
  top1Agreement?: number;
  /** rows that came with a label */
  labeled: number;
  /** labeled rows where the reference's argmax is the label */
  referenceCorrect: number;
  /** labeled rows where the test's argmax is the label */
  testCorrect: number;
  /** classes per row of a classifier-shaped output (its last dimension); 0 when not classifier-shaped */
  classes: number;
  /** labeled rows where the label is among the reference's 5 highest scores (see inTopK) */
  referenceTop5: number;
  /** labeled rows where the label is among the test's 5 highest scores */
  testTop5: number;
}

/**
 * Fidelity of one output, folded sample by sample. Holds only running sums:
 * Σ ref², Σ test², Σ ref·test, Σ err², Σ |err|, max |err|, counts, and top-1
 * agreement and per-model correct counts for classifier-shaped outputs.
 *
 * Pairs where either value is NaN or ±Infinity are skipped and counted in
 * `nonFinite` (a model emitting them is reported, not averaged into the sums).
 * Over finite data the summary equals the one-shot functions applied to the
 * samples concatenated.
 */
export class FidelityAccumulator {
  private sumRef2 = 0;
  private sumTest2 = 0;
  private dot = 0;
  private sumErr2 = 0;
  private sumAbsErr = 0;
  private maxAbsErr = 0;
  private elements = 0;
  private nonFinite = 0;
  private samples = 0;
  private rows = 0;
  private top1Agreements = 0;
  private labeled = 0;
  private referenceCorrect = 0;
  private testCorrect = 0;
  private classes = 0;
  private referenceTop5 = 0;
  private testTop5 = 0;

  constructor(readonly name = '') {}

  /**
   * Folds one sample's output from the reference and the test model.
   * @param shape the output's concrete shape; when classifier-shaped
   *   (isClassifierShape), top-1 agreement is counted per row
   * @param label the true class: one number for a single-row output, or one
   *   per row; only used for classifier-shaped outputs
   */
  add(reference: Float32Array, test: Float32Array, shape?: readonly number[], label?: number | readonly number[]): void {
    checkSameLength(reference, test, `output '${this.name}'`);
    let sumRef2 = 0;
    let sumTest2 = 0;
    let dot = 0;
    let sumErr2 = 0;
    let sumAbsErr = 0;
    let maxAbsErr = this.maxAbsErr;
    let skipped = 0;
    for (let i = 0; i < reference.length; i++) {
      const r = reference[i]!;
      const t = test[i]!;
      if (!Number.isFinite(r) || !Number.isFinite(t)) {
        skipped++;
        continue;
      }
      const e = r - t;
      const a = Math.abs(e);
      sumRef2 += r * r;
      sumTest2 += t * t;
      dot += r * t;
      sumErr2 += e * e;
      sumAbsErr += a;
      if (a > maxAbsErr) maxAbsErr = a;
    }
    this.sumRef2 += sumRef2;
    this.sumTest2 += sumTest2;
    this.dot += dot;
    this.sumErr2 += sumErr2;
    this.sumAbsErr += sumAbsErr;
    this.maxAbsErr = maxAbsErr;
    this.elements += reference.length - skipped;
    this.nonFinite += skipped;
    this.samples++;

    if (shape && isClassifierShape(shape)) {
      const refTop = argmaxRows(reference, shape);
      const testTop = argmaxRows(test, shape);
      let labels: readonly number[] | undefined;
      if (label !== undefined) {
        labels = typeof label === 'number' ? [label] : label;
        if (labels.length !== refTop.length) {
          throw new RangeError(
            `output '${this.name}': ${labels.length} label(s) for ${refTop.length} row(s) of shape [${shape.join(',')}]`);
        }
      }
      const classes = shape[shape.length - 1]!;
      this.classes = classes;
      for (let r = 0; r < refTop.length; r++) {
        if (refTop[r] === testTop[r]) this.top1Agreements++;
        if (labels) {
          const label = labels[r]!;
          this.labeled++;
          if (refTop[r] === label) this.referenceCorrect++;
          if (testTop[r] === label) this.testCorrect++;
          if (inTopK(reference, r * classes, classes, label, 5)) this.referenceTop5++;
          if (inTopK(test, r * classes, classes, label, 5)) this.testTop5++;
        }
      }
      this.rows += refTop.length;
    }
  }

  summary(): FidelitySummary {
    return {
      samples: this.samples,
      elements: this.elements,
      nonFinite: this.nonFinite,
      cosine: cosineFromSums(this.dot, this.sumRef2, this.sumTest2),
      sqnrDb: sqnrFromSums(this.sumRef2, this.sumErr2),
      maxAbsError: this.maxAbsErr,
      meanAbsError: this.elements ? this.sumAbsErr / this.elements : 0,
      rows: this.rows,
      top1Agreements: this.top1Agreements,
      ...(this.rows ? { top1Agreement: this.top1Agreements / this.rows } : {}),
      labeled: this.labeled,
      referenceCorrect: this.referenceCorrect,
      testCorrect: this.testCorrect,
      classes: this.classes,
      referenceTop5: this.referenceTop5,
      testTop5: this.testTop5,
    };
  }
}

/**
 * Whether class `label` is among the k highest scores of the row
 * data[offset .. offset + classes): its rank (scores strictly higher, plus
 * equal scores at lower indices, the order argmaxRows breaks ties in) is
 * below k. A NaN score at the label, or a label outside the row, is never in
 * the top k.
 */
export function inTopK(data: Float32Array, offset: number, classes: number, label: number, k: number): boolean {
  if (!(Number.isInteger(label) && label >= 0 && label < classes)) return false;
  const v = data[offset + label]!;
  if (Number.isNaN(v)) return false;
  let rank = 0;
  for (let c = 0; c < classes; c++) {
    const x = data[offset + c]!;
    if (x > v || (x === v && c < label)) {
      if (++rank >= k) return false;
    }
  }
  return true;
}
