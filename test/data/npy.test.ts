import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SampleFormatError } from '../../src/data/errors.js';
import { parseNpy, parseNpyHeader } from '../../src/data/npy.js';
import { asExpected, expected, expectedNpy, makeNpy, readSample } from './sample-files.js';

const f32 = (...values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

/** assert.throws matching class and the whole message. */
function throwsFormat(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SampleFormatError, `expected a SampleFormatError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

describe('parseNpy: files written by numpy', () => {
  const files = Object.keys(expected).filter((f) => f.endsWith('.npy') && f !== 'complex64.npy');

  it('has the sample files', () => assert.ok(files.length >= 20, files.join(' ')));

  for (const file of files) {
    it(`reads ${file} as numpy does`, () => {
      const array = parseNpy(readSample(file), file);
      assert.deepEqual(asExpected(array), expectedNpy(file));
      assert.equal(array.data.length, array.shape.reduce((a, b) => a * b, 1));
    });
  }

  it('reads every dtype into its storage type', () => {
    const storage: Record<string, string> = {
      'float32_3d.npy': 'Float32Array', 'float64.npy': 'Float64Array', 'float16.npy': 'Uint16Array',
      'int8.npy': 'Int8Array', 'uint8.npy': 'Uint8Array', 'int16.npy': 'Int16Array', 'uint16.npy': 'Uint16Array',
      'int32.npy': 'Int32Array', 'uint32.npy': 'Uint32Array', 'int64.npy': 'BigInt64Array',
      'uint64.npy': 'BigUint64Array', 'bool.npy': 'Uint8Array',
    };
    for (const [file, name] of Object.entries(storage)) {
      assert.equal(parseNpy(readSample(file), file).data.constructor.name, name, file);
    }
  });

  it('returns a view of the file bytes when nothing needs converting', () => {
    const bytes = readSample('float32_3d.npy');
    assert.equal(parseNpy(bytes, 'f').data.buffer, bytes.buffer);
  });

  it('copies when the data is big-endian, Fortran-ordered or misaligned', () => {
    for (const file of ['big_endian_f4.npy', 'fortran_3d.npy']) {
      const bytes = readSample(file);
      assert.notEqual(parseNpy(bytes, file).data.buffer, bytes.buffer, file);
    }
    // The same file one byte into a buffer: the data offset is odd, a Float32Array view is impossible.
    const file = readSample('float32_3d.npy');
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const array = parseNpy(shifted.subarray(1), 'shifted.npy');
    assert.deepEqual(asExpected(array), expectedNpy('float32_3d.npy'));
    assert.equal(array.data.byteOffset % 4, 0);
  });

  it('reports header details: version, order, byte order', () => {
    assert.deepEqual(parseNpyHeader(readSample('version2.npy'), 'v').version, [2, 0]);
    assert.deepEqual(parseNpyHeader(readSample('version3.npy'), 'v').version, [3, 0]);
    const fortran = parseNpyHeader(readSample('fortran_3d.npy'), 'v');
    assert.equal(fortran.fortranOrder, true);
    assert.deepEqual(fortran.shape, [2, 3, 4]);
    assert.equal(parseNpyHeader(readSample('big_endian_f4.npy'), 'v').bigEndian, true);
    assert.equal(parseNpyHeader(readSample('float32_3d.npy'), 'v').dataOffset % 64, 0);
  });
});

describe('parseNpy: headers written by other tools', () => {
  it('accepts any key order, double quotes, no trailing comma, Python 2 longs', () => {
    const bytes = makeNpy(`{"shape": (1L, 2L), "fortran_order": False, "descr": "<f4"}`, f32(1.5, -2));
    assert.deepEqual(asExpected(parseNpy(bytes, 'x.npy')), { dtype: 'float32', shape: [1, 2], values: [1.5, -2] });
  });

  it("takes '=', '|' and no byte-order character as little-endian, and '?' as bool", () => {
    for (const descr of ['=f4', 'f4', '<f4']) {
      const a = parseNpy(makeNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`, f32(3)), descr);
      assert.deepEqual(asExpected(a), { dtype: 'float32', shape: [1], values: [3] }, descr);
    }
    const b = parseNpy(makeNpy("{'descr': '?', 'fortran_order': False, 'shape': (2,), }", Uint8Array.of(1, 0)), 'b');
    assert.deepEqual(asExpected(b), { dtype: 'bool', shape: [2], values: [1, 0] });
    const u = parseNpy(makeNpy("{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.of(7, 9)), 'u');
    assert.deepEqual(asExpected(u), { dtype: 'uint8', shape: [2], values: [7, 9] });
  });

  it('reads a version 2.0 header written by hand', () => {
    const a = parseNpy(makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f32(1, 2), 2), 'v2');
    assert.deepEqual(asExpected(a), { dtype: 'float32', shape: [2], values: [1, 2] });
  });

  it('transposes a Fortran-order 3-D array into C order', () => {
    // Column-major 2x2x2 of values equal to their row-major index: F order stores
    // a[0,0,0] a[1,0,0] a[0,1,0] a[1,1,0] a[0,0,1] ...
    const bytes = makeNpy("{'descr': '<i2', 'fortran_order': True, 'shape': (2, 2, 2), }",
      new Uint8Array(Int16Array.of(0, 4, 2, 6, 1, 5, 3, 7).buffer));
    assert.deepEqual(asExpected(parseNpy(bytes, 'f')).values, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('ignores bytes after the data, as np.load does', () => {
    const bytes = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f32(4, 5));
    assert.deepEqual(asExpected(parseNpy(bytes, 'x')).values, [4]);
  });
});

describe('parseNpy: errors', () => {
  it('rejects a file without the magic', () => {
    const bytes = readSample('float32_3d.npy').slice();
    bytes[0] = 0x92;
    throwsFormat(() => parseNpy(bytes, 'calib/x.npy'), 'calib/x.npy: not a .npy file (bad magic)');
    throwsFormat(() => parseNpy(new TextEncoder().encode('PK\x03\x04 a zip'), 'a.npy'), 'a.npy: not a .npy file (bad magic)');
    throwsFormat(() => parseNpy(new Uint8Array(0), 'e.npy'), 'e.npy: empty file, not a .npy file');
  });

  it('rejects truncated data, saying how much the header promised', () => {
    const bytes = readSample('float32_3d.npy');
    const { dataOffset } = parseNpyHeader(bytes, 'x');
    throwsFormat(() => parseNpy(bytes.subarray(0, dataOffset + 20), 'calib/x.npy'),
      'calib/x.npy: truncated: header says 2x3x4 float32 (96 bytes) but 20 bytes follow');
    throwsFormat(() => parseNpy(readSample('scalar.npy').subarray(0, 130), 's.npy'),
      's.npy: truncated: header says 0-d float32 (4 bytes) but 2 bytes follow');
  });

  it('rejects a truncated preamble or header', () => {
    const bytes = readSample('float32_3d.npy');
    throwsFormat(() => parseNpy(bytes.subarray(0, 8), 'x.npy'), 'x.npy: truncated: the file ends inside the .npy preamble');
    throwsFormat(() => parseNpy(bytes.subarray(0, 60), 'x.npy'), 'x.npy: truncated: the header needs 128 bytes but the file has 60');
    throwsFormat(() => parseNpy(readSample('version2.npy').subarray(0, 11), 'x.npy'), /truncated/);
  });

  it('rejects unsupported dtypes, naming them', () => {
    throwsFormat(() => parseNpy(readSample('complex64.npy'), 'calib/c.npy'), /^calib\/c\.npy: unsupported dtype '<c8' \(supported: /);
    for (const descr of ['|O', '<U5', '|S3', '<M8[ns]', '<f16', 'b']) {
      throwsFormat(() => parseNpy(makeNpy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`), 'x'),
        `x: unsupported dtype '${descr}' (supported: float16/32/64, int8/16/32/64, uint8/16/32/64, bool)`);
    }
    throwsFormat(() => parseNpy(makeNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), 'x'),
      "x: unsupported dtype (('a', '<f4')): structured arrays are not supported");
  });

  it('rejects unsupported versions and malformed headers', () => {
    const v4 = readSample('float32_3d.npy').slice();
    v4[6] = 4;
    throwsFormat(() => parseNpy(v4, 'x'), 'x: unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)');
    const header = (text: string): Uint8Array => makeNpy(text, new Uint8Array(64));
    throwsFormat(() => parseNpy(header("{'descr': '<f4', 'shape': (1,), }"), 'x'), "x: bad header: no 'fortran_order' key");
    throwsFormat(() => parseNpy(header("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }"), 'x'),
      'x: bad header: fortran_order is 0, not True or False');
    throwsFormat(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }"), 'x'),
      'x: bad header: shape (-1, 2) is not a tuple of non-negative integers');
    throwsFormat(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,), }"), 'x'), /shape/);
    throwsFormat(() => parseNpy(header("['descr', '<f4']"), 'x'), 'x: bad header: not a dict');
    throwsFormat(() => parseNpy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)"), 'x'), /^x: bad header: /);
    throwsFormat(() => parseNpy(header("__import__('os').system('echo hi')"), 'x'), /^x: bad header: /);
    const v3 = makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f32(1), 3);
    v3[13] = 0xff; // inside 'descr': not UTF-8
    throwsFormat(() => parseNpy(v3, 'x'), 'x: bad header: not valid UTF-8');
  });
});
