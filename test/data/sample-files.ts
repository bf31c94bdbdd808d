// Shared by the sample-reading tests: where the sample files are, what numpy says is
// in them (expected.json, written by test/data/samples/make_samples.py), and
// helpers to compare arrays with that and to build .npy bytes by hand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NdArray } from '../../src/data/ndarray.js';
import { repoRoot } from '../helpers/paths.js';

export const samplesDir = join(repoRoot, 'test', 'data', 'samples');
export const samplePath = (...parts: string[]): string => join(samplesDir, ...parts);
export const readSample = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(samplePath(...parts)));

/** An array as make_samples.py describes it: 64-bit ints as strings, float16 as bits, bool as 0/1. */
export interface ExpectedArray {
  dtype: string;
  shape: number[];
  values: Array<number | string> | null;
}

type ExpectedFile = ExpectedArray | Record<string, ExpectedArray>;
export const expected: Record<string, ExpectedFile> = JSON.parse(readFileSync(samplePath('expected.json'), 'utf8'));

export const expectedNpy = (file: string): ExpectedArray => expected[file] as ExpectedArray;
export const expectedNpz = (file: string): Record<string, ExpectedArray> => expected[file] as Record<string, ExpectedArray>;

/** The array in expected.json's terms, for deepStrictEqual against an ExpectedArray. */
export function asExpected(a: NdArray): ExpectedArray {
  const values = Array.from(a.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  return { dtype: a.dtype, shape: a.shape, values };
}

/** A .npy file with the given header text (padded like numpy pads it) and data bytes. */
export function makeNpy(header: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const prefixLength = major === 1 ? 10 : 12;
  const encoded = new TextEncoder().encode(header);
  const padded = Math.ceil((prefixLength + encoded.length + 1) / 64) * 64 - prefixLength;
  const out = new Uint8Array(prefixLength + padded + data.length);
  out.set([0x93, ...new TextEncoder().encode('NUMPY'), major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, padded, true);
  else view.setUint32(8, padded, true);
  out.fill(0x20, prefixLength, prefixLength + padded);
  out.set(encoded, prefixLength);
  out[prefixLength + padded - 1] = 0x0a;
  out.set(data, prefixLength + padded);
  return out;
}
