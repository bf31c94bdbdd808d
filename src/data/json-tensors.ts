// Samples written as JSON: `.json` holds one sample (an object of nested
// arrays keyed by input name) or a list of them; `.ndjson` holds one sample
// object per line. What a JavaScript or jq user writes without numpy. Each
// array takes the dtype the model declares for its input; integers stay
// exact (int64 through BigInt), and a fraction for an integer input is an
// error, not a silent rounding.
import { SampleFormatError } from './errors.js';
import { elementCount, typedArrayFor, DTYPE_BYTES, type DType, type NdArray } from './ndarray.js';
import { float32ToHalfBits } from '../onnx/float16.js';

/** One nested-array value as an NdArray of `dtype` (float32 when the model's type is unknown). */
export function nestedToNdArray(value: unknown, dtype: DType, where: string): NdArray {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const n = elementCount(shape);
  const data = typedArrayFor(dtype, new ArrayBuffer(n * DTYPE_BYTES[dtype]), 0, n);
  let at = 0;
  const integer = dtype !== 'float32' && dtype !== 'float64' && dtype !== 'float16';
  const put = (x: unknown, path: number[]): void => {
    const bad = (problem: string): never => {
      throw new SampleFormatError(where, `${problem} at [${path.join(',')}]`);
    };
    let num: number;
    if (typeof x === 'number') num = x;
    else if (typeof x === 'boolean' && dtype === 'bool') num = x ? 1 : 0;
    // JSON has no NaN or Infinity literals; the strings stand in for them (and are caught by the finite check).
    else if (x === 'NaN' || x === 'Infinity' || x === '-Infinity') num = Number(x);
    else return bad(`expected a number, found ${JSON.stringify(x)?.slice(0, 40)}`);
    if (integer && !Number.isInteger(num)) bad(`input is ${dtype} but the value ${num} is not an integer`);
    if (dtype === 'int64' || dtype === 'uint64') (data as BigInt64Array)[at++] = BigInt(num) as never;
    else if (dtype === 'float16') (data as Uint16Array)[at++] = float32ToHalfBits(num);
    else (data as Float32Array)[at++] = num;
  };
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new SampleFormatError(where, `ragged array: more nesting at [${path.join(',')}] than at [${path.map(() => 0).join(',')}]`);
      put(v, path);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new SampleFormatError(where, `ragged array: [${path.join(',')}] has ${Array.isArray(v) ? v.length : 'no'} elements, expected ${shape[depth]}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, [...path, i]);
  };
  walk(value, 0, []);
  return { dtype, shape, data };
}

/** One sample object {input: nested array, ...} as arrays typed by the model's inputs. */
export function jsonSample(obj: unknown, dtypes: ReadonlyMap<string, DType>, where: string): Map<string, NdArray> {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new SampleFormatError(where, 'a sample must be a JSON object of arrays keyed by input name, e.g. {"input": [[1, 2], [3, 4]]}');
  }
  const inputs = new Map<string, NdArray>();
  for (const [name, value] of Object.entries(obj as Record<string, unknown>)) {
    inputs.set(name, nestedToNdArray(value, dtypes.get(name) ?? 'float32', `${where}: input '${name}'`));
  }
  return inputs;
}

/** The sample objects of a .json (one object or a list) or .ndjson (one object per line) file's text. */
export function parseJsonSamples(text: string, file: string): Array<{ source: string; value: unknown }> {
  if (file.toLowerCase().endsWith('.ndjson')) {
    const out: Array<{ source: string; value: unknown }> = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.trim()) continue;
      out.push({ source: `${file}:${i + 1}`, value: parseOrThrow(lines[i]!, `${file}:${i + 1}`) });
    }
    return out;
  }
  const value = parseOrThrow(text, file);
  if (Array.isArray(value)) return value.map((v, i) => ({ source: `${file}[${i}]`, value: v }));
  return [{ source: file, value }];
}

function parseOrThrow(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SampleFormatError(where, `not valid JSON (${(err as Error).message})`);
  }
}
