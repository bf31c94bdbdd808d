import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { elementCount, formatShape, sliceFirstAxis, typedArrayFor, DTYPE_BYTES, type DType, type NdArray } from '../../src/data/ndarray.js';

describe('ndarray helpers', () => {
  it('counts elements, 1 for a 0-d shape and 0 for an empty axis', () => {
    assert.equal(elementCount([2, 3, 4]), 24);
    assert.equal(elementCount([]), 1);
    assert.equal(elementCount([5, 0, 2]), 0);
  });

  it('makes the storage type of every dtype with its element size', () => {
    const storage: Record<DType, string> = {
      float32: 'Float32Array', float64: 'Float64Array', float16: 'Uint16Array', int8: 'Int8Array',
      uint8: 'Uint8Array', int16: 'Int16Array', uint16: 'Uint16Array', int32: 'Int32Array',
      uint32: 'Uint32Array', int64: 'BigInt64Array', uint64: 'BigUint64Array', bool: 'Uint8Array',
    };
    for (const [dtype, name] of Object.entries(storage) as Array<[DType, string]>) {
      const a = typedArrayFor(dtype, new ArrayBuffer(16), 8, 1);
      assert.equal(a.constructor.name, name, dtype);
      assert.equal(a.BYTES_PER_ELEMENT, DTYPE_BYTES[dtype], dtype);
    }
  });

  it('slices the first axis as a view', () => {
    const a: NdArray = { dtype: 'int32', shape: [3, 2], data: Int32Array.from([0, 1, 2, 3, 4, 5]) };
    const row = sliceFirstAxis(a, 1, 2);
    assert.deepEqual(row.shape, [1, 2]);
    assert.deepEqual([...row.data], [2, 3]);
    assert.equal(row.data.buffer, a.data.buffer);
    assert.deepEqual([...sliceFirstAxis(a, 1, 3).data], [2, 3, 4, 5]);
    assert.throws(() => sliceFirstAxis(a, 2, 4), RangeError);
    assert.throws(() => sliceFirstAxis({ dtype: 'float32', shape: [], data: new Float32Array(1) }, 0, 1), RangeError);
  });

  it('formats shapes with symbolic and unknown dims', () => {
    assert.equal(formatShape([1, 'batch', null, 8]), '[1,batch,?,8]');
    assert.equal(formatShape([]), '[]');
  });
});
