import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { SampleFormatError } from '../../src/data/errors.js';
import { parseNpz } from '../../src/data/npz.js';
import { crc32 } from '../../src/data/zip-crc.js';
import { asExpected, expectedNpz, readSample } from './sample-files.js';

function throwsFormat(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SampleFormatError, `expected a SampleFormatError, got ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const describeAll = (arrays: Map<string, unknown>): Record<string, unknown> =>
  Object.fromEntries([...arrays].map(([k, v]) => [k, asExpected(v as Parameters<typeof asExpected>[0])]));

describe('parseNpz', () => {
  it('reads np.savez (stored members), keys without .npy, in archive order', () => {
    const arrays = parseNpz(readSample('two_inputs.npz'), 'two_inputs.npz');
    assert.deepEqual([...arrays.keys()], ['input', 'mask']);
    assert.deepEqual(describeAll(arrays), expectedNpz('two_inputs.npz'));
  });

  it('reads np.savez_compressed (deflated members)', () => {
    const arrays = parseNpz(readSample('two_inputs_compressed.npz'), 'c.npz');
    assert.deepEqual(describeAll(arrays), expectedNpz('two_inputs_compressed.npz'));
  });

  it('reads every file of the folder dataset', () => {
    for (const i of [0, 1, 2]) {
      const file = `folder/sample_00${i}.npz`;
      assert.deepEqual(describeAll(parseNpz(readSample(file), file)), expectedNpz(file));
    }
  });

  it('skips members that are not .npy, and reads zips from other writers', () => {
    const npy = readSample('int8.npy');
    const zip = zipSync({ 'notes.txt': new TextEncoder().encode('hi'), 'x.npy': npy, 'dir/y.npy': [npy, { level: 6 }] });
    const arrays = parseNpz(zip, 'z.npz');
    assert.deepEqual([...arrays.keys()], ['x', 'dir/y']);
    assert.deepEqual(asExpected(arrays.get('dir/y')!), asExpected(arrays.get('x')!));
  });

  it('reads an empty archive as no arrays', () => {
    assert.equal(parseNpz(zipSync({}), 'e.npz').size, 0);
  });

  it('rejects bytes that are not a zip, naming the file', () => {
    throwsFormat(() => parseNpz(new TextEncoder().encode('hello, not a zip at all'), 'calib/a.npz'),
      /^calib\/a\.npz: not a valid \.npz \(zip\) file: /);
    throwsFormat(() => parseNpz(new Uint8Array(0), 'calib/a.npz'), /^calib\/a\.npz: not a valid \.npz \(zip\) file/);
  });

  it('rejects a truncated zip', () => {
    const bytes = readSample('two_inputs.npz');
    throwsFormat(() => parseNpz(bytes.subarray(0, bytes.length - 30), 'calib/t.npz'), /^calib\/t\.npz: not a valid \.npz \(zip\) file: /);
    throwsFormat(() => parseNpz(bytes.subarray(200), 'calib/t.npz'), /^calib\/t\.npz: not a valid \.npz \(zip\) file: /);
  });

  it('rejects a member whose bytes were damaged (CRC-32 mismatch)', () => {
    const bytes = readSample('two_inputs.npz').slice();
    // Flip one bit in the last float of 'input' (stored, so its bytes sit in the archive as-is).
    const npy = readSample('two_inputs.npz');
    const at = indexOf(npy, new Uint8Array(Float32Array.of(5).buffer));
    assert.ok(at > 0);
    bytes[at + 3] ^= 0x01;
    throwsFormat(() => parseNpz(bytes, 'calib/d.npz'), "calib/d.npz: member 'input.npy' is corrupt (CRC-32 mismatch)");
  });

  it('rejects a damaged deflated member, naming it', () => {
    // Offsets inside the first member's deflate stream: one breaks the stream
    // itself, the others inflate to wrong bytes that only the CRC catches.
    const damaged = (at: number): Uint8Array => {
      const bytes = readSample('two_inputs_compressed.npz').slice();
      bytes[at] ^= 0xff;
      return bytes;
    };
    throwsFormat(() => parseNpz(damaged(100), 'calib/d.npz'), "calib/d.npz: member 'input.npy' is corrupt: invalid distance");
    throwsFormat(() => parseNpz(damaged(80), 'calib/d.npz'), "calib/d.npz: member 'input.npy' is corrupt (CRC-32 mismatch)");
  });

  it('names a member stored with a compression method fflate cannot read', () => {
    const zip = zipSync({ 'x.npy': readSample('int8.npy') }, { level: 0 });
    // Compression method: offset 8 of the local header and offset 10 of the central entry.
    const central = zip.length - 22 - (46 + 'x.npy'.length);
    zip[8] = 12; // bzip2
    zip[central + 10] = 12;
    throwsFormat(() => parseNpz(zip, 'b.npz'), "b.npz: member 'x.npy' cannot be read: unknown compression type 12");
  });

  it('says so when given a .npy instead', () => {
    throwsFormat(() => parseNpz(readSample('int8.npy'), 'x.npz'), 'x.npz: this is a .npy file, not a .npz (zip) file');
  });

  it('names the member an array error is in', () => {
    const zip = zipSync({ 'good.npy': readSample('int8.npy'), 'bad.npy': readSample('complex64.npy') });
    throwsFormat(() => parseNpz(zip, 'calib/m.npz'), /^calib\/m\.npz \(member bad\.npy\): unsupported dtype '<c8'/);
  });

  it('computes the standard CRC-32', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
