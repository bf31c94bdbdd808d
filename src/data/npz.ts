// Reader for numpy's .npz format: a zip archive of .npy members, one per
// array, named "<key>.npy". np.savez stores the members uncompressed,
// np.savez_compressed deflates them; fflate's unzipSync reads both.

import { unzipSync } from 'fflate';
import { SampleFormatError } from './errors.js';
import type { NdArray } from './ndarray.js';
import { parseNpy } from './npy.js';
import { crc32, zipMemberCrcs } from './zip-crc.js';

const NPY_SUFFIX = '.npy';

/**
 * Reads every array of a .npz file, keyed by the name it was saved under
 * (the member name without ".npy"), in archive order.
 *
 * Members whose names do not end in ".npy" (which np.savez never writes) are
 * skipped. Each member's CRC-32 is checked, since fflate does not.
 *
 * @param sourceName names the file in error messages; errors inside a member
 *   name it as "<sourceName> (member <name>.npy)"
 * @throws SampleFormatError when the file is not a readable zip of supported .npy arrays
 */
export function parseNpz(bytes: Uint8Array, sourceName: string): Map<string, NdArray> {
  const fail = (problem: string): never => {
    throw new SampleFormatError(sourceName, problem);
  };
  if (bytes.length >= 6 && bytes[0] === 0x93 && String.fromCharCode(...bytes.subarray(1, 6)) === 'NUMPY') {
    fail('this is a .npy file, not a .npz (zip) file');
  }

  // The filter sees every member in central-directory order, which is how
  // the CRCs read below line up with the names.
  const names: string[] = [];
  let members: Record<string, Uint8Array>;
  let crcs: number[];
  try {
    members = unzipSync(bytes, {
      filter: (file) => {
        names.push(file.name);
        return file.name.endsWith(NPY_SUFFIX);
      },
    });
    crcs = zipMemberCrcs(bytes);
  } catch (e) {
    const { message, code } = e as Error & { code?: unknown };
    // fflate's codes 0-3 are deflate stream errors and 14 an unknown compression
    // method; both concern the member being extracted, the last one the filter saw.
    const member = names[names.length - 1];
    if (member !== undefined && (code === 0 || code === 1 || code === 2 || code === 3 || code === 14)) {
      fail(`member '${member}' ${code === 14 ? 'cannot be read' : 'is corrupt'}: ${message}`);
    }
    return fail(`not a valid .npz (zip) file: ${message}`);
  }
  if (crcs.length !== names.length) fail('not a valid .npz (zip) file: inconsistent central directory');

  const arrays = new Map<string, NdArray>();
  names.forEach((name, i) => {
    if (!name.endsWith(NPY_SUFFIX)) return;
    const key = name.slice(0, -NPY_SUFFIX.length);
    if (arrays.has(key)) fail(`two members are named '${name}'`);
    const data = members[name];
    if (crc32(data) !== crcs[i]) fail(`member '${name}' is corrupt (CRC-32 mismatch)`);
    arrays.set(key, parseNpy(data, `${sourceName} (member ${name})`));
  });
  return arrays;
}
