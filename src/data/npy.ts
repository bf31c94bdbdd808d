// Reader for numpy's .npy format (versions 1.0, 2.0 and 3.0), the file
// np.save writes. Layout, per numpy/lib/format.py:
//   6 bytes  magic "\x93NUMPY"
//   2 bytes  format version, major then minor
//   2 bytes  (v1.0) or 4 bytes (v2.0, v3.0): little-endian header length
//   header   a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
//            in latin-1 (v1.0, v2.0) or UTF-8 (v3.0), padded with spaces and a '\n'
//   data     the elements, C order unless fortran_order, in the byte order of descr

import { SampleFormatError } from './errors.js';
import { DTYPE_BYTES, elementCount, typedArrayFor, type DType, type NdArray, type TypedArray } from './ndarray.js';
import { parsePyLiteral } from './pyliteral.js';

/** What the header of a .npy file says about the array that follows it. */
export interface NpyHeader {
  version: [major: number, minor: number];
  dtype: DType;
  shape: number[];
  /** true when the data is column-major (numpy's fortran_order). */
  fortranOrder: boolean;
  /** true when the data is stored big-endian ('>' in descr). */
  bigEndian: boolean;
  /** where the data starts, from the start of the file. */
  dataOffset: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

// descr without its byte-order character → our dtype. numpy writes descr as
// dtype.str (kind letter + item size); '?' is numpy's other spelling of bool.
const DESCR_DTYPES: Readonly<Record<string, DType>> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  b1: 'bool',
  '?': 'bool',
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Reads a whole .npy file.
 *
 * The result's data is a view into `bytes` when the file is in C order, in
 * host byte order and the data offset is aligned for the element size (the
 * usual case: numpy pads headers to 64 bytes); otherwise it is a fresh copy.
 * Big-endian data is byte-swapped and Fortran-order data transposed to C order.
 *
 * @param sourceName names the file in error messages
 * @throws SampleFormatError when the bytes are not a supported .npy file
 */
export function parseNpy(bytes: Uint8Array, sourceName: string): NdArray {
  const header = parseNpyHeader(bytes, sourceName);
  return { dtype: header.dtype, shape: header.shape, data: readNpyData(bytes, header, sourceName) };
}

/**
 * Reads the magic, version and header dict of a .npy file.
 * `bytes` needs to hold only the header, not the data.
 */
export function parseNpyHeader(bytes: Uint8Array, sourceName: string): NpyHeader {
  const fail = (problem: string): never => {
    throw new SampleFormatError(sourceName, problem);
  };
  if (bytes.length === 0) fail('empty file, not a .npy file');
  if (bytes.length < MAGIC.length || MAGIC.some((b, i) => bytes[i] !== b)) fail('not a .npy file (bad magic)');
  if (bytes.length < 10) fail('truncated: the file ends inside the .npy preamble');

  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    fail(`unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  // Version 1.0 has a 2-byte header length; 2.0 and 3.0 have 4 bytes for headers past 64 KiB.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLength: number;
  if (major === 1) {
    headerStart = 10;
    headerLength = view.getUint16(8, true);
  } else {
    if (bytes.length < 12) fail('truncated: the file ends inside the .npy preamble');
    headerStart = 12;
    headerLength = view.getUint32(8, true);
  }
  const dataOffset = headerStart + headerLength;
  if (bytes.length < dataOffset) {
    fail(`truncated: the header needs ${dataOffset} bytes but the file has ${bytes.length}`);
  }

  const headerBytes = bytes.subarray(headerStart, dataOffset);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      return fail('bad header: not valid UTF-8');
    }
  } else {
    headerText = latin1(headerBytes);
  }

  let dict;
  try {
    dict = parsePyLiteral(headerText);
  } catch (e) {
    return fail(`bad header: ${(e as Error).message}`);
  }
  if (!(dict instanceof Map)) return fail('bad header: not a dict');
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!dict.has(key)) fail(`bad header: no '${key}' key`);
  }

  const descr = dict.get('descr');
  const fortranOrder = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof fortranOrder !== 'boolean') return fail(`bad header: fortran_order is ${pyRepr(fortranOrder)}, not True or False`);
  if (!Array.isArray(shape) || !shape.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    return fail(`bad header: shape ${pyRepr(shape)} is not a tuple of non-negative integers`);
  }
  const { dtype, bigEndian } = parseDescr(descr, fail);
  return { version: [major, minor], dtype, shape, fortranOrder, bigEndian, dataOffset };
}

/**
 * The data of a .npy file whose header is `header`, as a C-order array in
 * host byte order (see parseNpy for when it is a view and when a copy).
 * Extra bytes after the data are ignored, as np.load ignores them.
 */
export function readNpyData(bytes: Uint8Array, header: NpyHeader, sourceName: string): TypedArray {
  const { dtype, shape, dataOffset } = header;
  const itemSize = DTYPE_BYTES[dtype];
  const count = elementCount(shape);
  const byteLength = count * itemSize;
  const available = bytes.length - dataOffset;
  if (available < byteLength) {
    const dims = shape.length === 0 ? '0-d' : shape.join('x');
    throw new SampleFormatError(
      sourceName,
      `truncated: header says ${dims} ${dtype} (${byteLength} bytes) but ${available} bytes follow`,
    );
  }

  const swap = itemSize > 1 && header.bigEndian === HOST_LITTLE_ENDIAN;
  // 0-d and 1-d arrays are laid out the same in both orders; from rank 2 on,
  // Fortran order needs reordering into the C order every reader here assumes.
  const transpose = header.fortranOrder && shape.length > 1;
  const start = bytes.byteOffset + dataOffset;
  if (!swap && !transpose && start % itemSize === 0) {
    return typedArrayFor(dtype, bytes.buffer, start, count);
  }

  // A fresh buffer is aligned at 0, so the typed array over it is always valid.
  const raw = bytes.subarray(dataOffset, dataOffset + byteLength);
  const out = new Uint8Array(byteLength);
  if (transpose) fortranToC(raw, out, shape, itemSize);
  else out.set(raw);
  if (swap) swapBytes(out, itemSize);
  return typedArrayFor(dtype, out.buffer, 0, count);
}

/** descr such as '<f4' → our dtype and the data's byte order. */
function parseDescr(descr: unknown, fail: (problem: string) => never): { dtype: DType; bigEndian: boolean } {
  if (typeof descr !== 'string') {
    // A list of (name, type) pairs: a structured (record) array.
    return fail(`unsupported dtype ${pyRepr(descr)}: structured arrays are not supported`);
  }
  const m = /^([<>=|]?)([a-zA-Z]\d+|\?)$/.exec(descr);
  const dtype = m ? DESCR_DTYPES[m[2]] : undefined;
  if (!m || dtype === undefined) {
    return fail(
      `unsupported dtype '${descr}' (supported: float16/32/64, int8/16/32/64, uint8/16/32/64, bool)`,
    );
  }
  // '=' (native) and '|' (byte order not applicable) or nothing: numpy writes
  // those only for single bytes, and every platform numpy runs on today is
  // little-endian, so the writer's native order is little-endian.
  return { dtype, bigEndian: m[1] === '>' };
}

/** Copies column-major `src` into row-major `dst`, element by element of itemSize bytes. */
function fortranToC(src: Uint8Array, dst: Uint8Array, shape: number[], itemSize: number): void {
  const rank = shape.length;
  const count = elementCount(shape);
  // Column-major strides (in elements): the first axis varies fastest.
  const fStride: number[] = [];
  let stride = 1;
  for (const d of shape) {
    fStride.push(stride);
    stride *= d;
  }
  const index: number[] = new Array<number>(rank).fill(0);
  let f = 0; // element offset in src of the row-major position c
  for (let c = 0; c < count; c++) {
    const from = f * itemSize;
    const to = c * itemSize;
    for (let b = 0; b < itemSize; b++) dst[to + b] = src[from + b];
    // Next row-major index: the last axis varies fastest, carrying leftwards.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      f += fStride[axis];
      if (index[axis] < shape[axis]) break;
      f -= index[axis] * fStride[axis];
      index[axis] = 0;
    }
  }
}

/** Reverses the bytes of every itemSize-byte element, in place. */
function swapBytes(data: Uint8Array, itemSize: number): void {
  for (let i = 0; i < data.length; i += itemSize) {
    for (let lo = i, hi = i + itemSize - 1; lo < hi; lo++, hi--) {
      const t = data[lo];
      data[lo] = data[hi];
      data[hi] = t;
    }
  }
}

// Latin-1 maps each byte to the code point of the same value. (TextDecoder's
// 'latin1' label is windows-1252, which differs for 0x80-0x9f.)
function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** A short Python-like rendering of a header value for messages. */
function pyRepr(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `(${value.map(pyRepr).join(', ')})`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `'${k}': ${pyRepr(v)}`).join(', ')}}`;
  return String(value);
}
