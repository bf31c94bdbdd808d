// Checks that samples fit the model's inputs before any inference runs, so a
// wrong file fails in a second with a message naming it, instead of as an
// onnxruntime error halfway through calibration.

import type { Dataset, Sample } from './dataset.js';
import { SampleMismatchError } from './errors.js';
import { formatShape, type DType } from './ndarray.js';

/** What the model declares for one input. */
export interface InputSpec {
  name: string;
  dtype: DType;
  /**
   * Dimensions: a number is a fixed size; a string (a symbolic name such as
   * "batch") or null is dynamic and matches any size. A negative number is
   * treated as dynamic too, as some exporters write -1 for unknown sizes.
   */
  shape: Array<number | string | null>;
}

/**
 * Throws a SampleMismatchError for the first input in `specs` that the sample
 * lacks or holds with the wrong dtype, rank or size. Arrays in the sample that
 * no spec names are ignored.
 */
export function validateSample(sample: Sample, specs: readonly InputSpec[]): void {
  for (const spec of specs) {
    const mismatch = (problem: string): never => {
      throw new SampleMismatchError(sample.source, spec.name, problem);
    };
    const array = sample.inputs.get(spec.name);
    if (!array) {
      const has = [...sample.inputs.keys()];
      return mismatch(`missing input '${spec.name}' (has: ${has.length ? has.join(', ') : 'no arrays'})`);
    }
    if (array.dtype !== spec.dtype) {
      mismatch(`input '${spec.name}' has dtype ${array.dtype}, expected ${spec.dtype}`);
    }
    const expected = spec.shape.map((d) => (typeof d === 'number' && d < 0 ? null : d));
    if (array.shape.length !== expected.length) {
      mismatch(
        `input '${spec.name}' has shape ${formatShape(array.shape)} (rank ${array.shape.length}), ` +
          `expected ${formatShape(expected)} (rank ${expected.length})`,
      );
    }
    if (!expected.every((d, i) => typeof d !== 'number' || d === array.shape[i])) {
      mismatch(`input '${spec.name}' has shape ${formatShape(array.shape)}, expected ${formatShape(expected)}`);
    }
  }
}

/**
 * Validates every sample of the dataset, reading each one (and dropping it)
 * in turn; throws at the first mismatch, naming the sample.
 */
export async function validateDataset(dataset: Dataset, specs: readonly InputSpec[]): Promise<void> {
  for await (const sample of dataset.samples()) validateSample(sample, specs);
}
