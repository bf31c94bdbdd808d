import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDataset, type Sample } from '../../src/data/dataset.js';
import { SampleMismatchError } from '../../src/data/errors.js';
import type { NdArray } from '../../src/data/ndarray.js';
import { validateDataset, validateSample, type InputSpec } from '../../src/data/validate.js';
import { samplePath } from './sample-files.js';

function checkMismatch(message: string, source?: string, input?: string): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(e instanceof SampleMismatchError, `expected a SampleMismatchError, got ${String(e)}`);
    assert.equal(e.message, message);
    assert.equal(e.name, 'SampleMismatchError');
    if (source !== undefined) assert.equal(e.source, source);
    if (input !== undefined) assert.equal(e.input, input);
    return true;
  };
}

function throwsMismatch(fn: () => unknown, message: string, source?: string, input?: string): void {
  assert.throws(fn, checkMismatch(message, source, input));
}

async function rejectsMismatch(fn: () => Promise<unknown>, message: string, source?: string, input?: string): Promise<void> {
  await assert.rejects(fn, checkMismatch(message, source, input));
}

const array = (dtype: NdArray['dtype'], shape: number[]): NdArray => ({
  dtype,
  shape,
  data: dtype === 'float64' ? new Float64Array(shape.reduce((a, b) => a * b, 1)) : new Float32Array(shape.reduce((a, b) => a * b, 1)),
});
const sample = (inputs: Record<string, NdArray>): Sample => ({ source: 'eval/sample_007.npz', inputs: new Map(Object.entries(inputs)) });
const imageSpec: InputSpec = { name: 'input', dtype: 'float32', shape: ['batch', 1, 8, 8] };

describe('validateSample', () => {
  it('accepts matching arrays; dynamic dims match any size; extra arrays are ignored', () => {
    validateSample(sample({ input: array('float32', [3, 1, 8, 8]), extra: array('float64', [2]) }), [imageSpec]);
    validateSample(sample({ x: array('float32', [5, 7]) }), [{ name: 'x', dtype: 'float32', shape: [null, -1] }]);
    validateSample(sample({ x: array('float32', []) }), [{ name: 'x', dtype: 'float32', shape: [] }]);
  });

  it('names the sample, the input, the shape it has and the one expected', () => {
    throwsMismatch(() => validateSample(sample({ input: array('float32', [1, 1, 8, 9]) }), [imageSpec]),
      "eval/sample_007.npz: input 'input' has shape [1,1,8,9], expected [batch,1,8,8]", 'eval/sample_007.npz', 'input');
  });

  it('reports a rank mismatch with both ranks', () => {
    throwsMismatch(() => validateSample(sample({ input: array('float32', [8, 8]) }), [imageSpec]),
      "eval/sample_007.npz: input 'input' has shape [8,8] (rank 2), expected [batch,1,8,8] (rank 4)");
    throwsMismatch(() => validateSample(sample({ x: array('float32', [1, 3]) }), [{ name: 'x', dtype: 'float32', shape: [null, -1, 3] }]),
      "eval/sample_007.npz: input 'x' has shape [1,3] (rank 2), expected [?,?,3] (rank 3)");
  });

  it('reports a dtype mismatch before the shape', () => {
    throwsMismatch(() => validateSample(sample({ input: array('float64', [1, 2]) }), [imageSpec]),
      "eval/sample_007.npz: input 'input' has dtype float64, expected float32");
  });

  it('reports a missing input with the arrays the sample has', () => {
    const specs: InputSpec[] = [imageSpec, { name: 'mask', dtype: 'float32', shape: [1] }];
    throwsMismatch(() => validateSample(sample({ input: array('float32', [1, 1, 8, 8]) }), specs),
      "eval/sample_007.npz: missing input 'mask' (has: input)", 'eval/sample_007.npz', 'mask');
    throwsMismatch(() => validateSample(sample({}), specs), "eval/sample_007.npz: missing input 'input' (has: no arrays)");
  });
});

describe('validateDataset', async () => {
  const specs: InputSpec[] = [
    { name: 'input', dtype: 'float32', shape: ['batch', 1, 4, 4] },
    { name: 'mask', dtype: 'int64', shape: [1, 1] },
  ];

  it('accepts a folder whose samples all fit', async () => {
    await validateDataset(openDataset(samplePath('folder'), ['input', 'mask']), specs);
  });

  it('checks every sample, naming the first that does not fit', async () => {
    const file = samplePath('mismatch', 'sample_001.npz');
    await rejectsMismatch(() => validateDataset(openDataset(samplePath('mismatch'), ['input']), [specs[0]]),
      `${file}: input 'input' has shape [1,1,4,5], expected [batch,1,4,4]`, file, 'input');
  });

  it('reports a dtype mismatch in a file', async () => {
    const file = samplePath('mismatch_dtype', 'sample_000.npz');
    await rejectsMismatch(() => validateDataset(openDataset(samplePath('mismatch_dtype'), ['input']), [specs[0]]),
      `${file}: input 'input' has dtype float64, expected float32`);
  });

  it('reports a missing input in a file', async () => {
    const file = samplePath('mismatch', 'sample_000.npz');
    await rejectsMismatch(() => validateDataset(openDataset(samplePath('mismatch'), ['input', 'mask']), specs),
      `${file}: missing input 'mask' (has: input)`);
  });

  it('validates the rows of a .npy batch, which keep a batch axis of 1', async () => {
    const file = samplePath('batch4.npy');
    await validateDataset(openDataset(file, ['x']), [{ name: 'x', dtype: 'float32', shape: [1, 2, 3] }]);
    await rejectsMismatch(() => validateDataset(openDataset(file, ['x']), [{ name: 'x', dtype: 'float32', shape: [4, 2, 3] }]),
      `${file}[0]: input 'x' has shape [1,2,3], expected [4,2,3]`);
  });
});
