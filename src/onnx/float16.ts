// FLOAT16 and BFLOAT16 to and from float32: round to nearest even, NaN kept
// NaN (quiet), Inf kept, subnormals exact. Node 20 has no Float16Array, so
// half values travel as Uint16Array bit patterns.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 value to IEEE half bits, round half to even. */
export function float32ToHalfBits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 | (mant >>> 13) : sign | 0x7c00;
  if (exp >= 143) return sign | 0x7c00; // >= 65536: past the largest half even after rounding
  if (exp < 113) {
    // Half subnormal (or zero): the value in units of 2^-24 is exact in
    // float64, so rounding it half to even is exact too. 1024 lands on the
    // smallest normal, which is the right bit pattern.
    const units = Math.abs(f32[0]!) * 16777216;
    const floor = Math.floor(units);
    const diff = units - floor;
    const r = diff > 0.5 || (diff === 0.5 && (floor & 1) === 1) ? floor + 1 : floor;
    return sign | r;
  }
  let bits = ((exp - 112) << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (bits & 1) === 1)) bits += 1; // a carry into the exponent is correct, up to Inf
  return sign | bits;
}

let halfTable: Float32Array | undefined;
/** All 65536 half values as float32, built once (256 KB): decoding is a lookup. */
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    let v: number;
    if (exp === 0) v = mant * 2 ** -24;
    else if (exp === 31) v = mant ? NaN : Infinity;
    else v = (1 + mant / 1024) * 2 ** (exp - 15);
    table[h] = sign * v;
  }
  halfTable = table;
  return table;
}

export function halfBitsToFloat32(bits: number): number {
  return halfToFloatTable()[bits & 0xffff]!;
}

export function halfArrayToFloat32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  const table = halfToFloatTable();
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]!]!;
  return out;
}

export function float32ArrayToHalf(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) out[i] = float32ToHalfBits(src[i]!);
  return out;
}

/** One float32 value to bfloat16 bits, round half to even, NaN stays quiet NaN. */
export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

export function bfloat16ArrayToFloat32(src: Uint16Array, out = new Float32Array(src.length)): Float32Array {
  const o = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) o[i] = src[i]! << 16;
  return out;
}

export function float32ArrayToBfloat16(src: Float32Array, out = new Uint16Array(src.length)): Uint16Array {
  for (let i = 0; i < src.length; i++) out[i] = float32ToBfloat16Bits(src[i]!);
  return out;
}
