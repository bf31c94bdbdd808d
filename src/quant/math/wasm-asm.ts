// A minimal WebAssembly binary writer: just enough to build the SIMD kernels of wasm-kernels.ts
// in the source tree itself, readable instruction by instruction, with no toolchain (wat2wasm,
// emscripten) and no opaque .wasm blob. Opcode numbers are from the WebAssembly core spec and its
// SIMD proposal (BinarySIMD.md); a wrong one fails validation at load time, and the kernels are
// tested bit for bit against the JavaScript ones.

export type Code = number[];

export const i32 = 0x7f;
export const f32 = 0x7d;
export const v128 = 0x7b;
type ValType = typeof i32 | typeof f32 | typeof v128;

/** Unsigned LEB128. */
export function uleb(n: number): Code {
  const out: Code = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(n: number): Code {
  const out: Code = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const bytesOf = (s: string): Code => Array.from(new TextEncoder().encode(s));
const vec = (items: Code[]): Code => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Code): Code => [id, ...uleb(body.length), ...body];
const memarg = (offset: number): Code => [0, ...uleb(offset)]; // alignment hint 0: any address works

// --- instructions -----------------------------------------------------------------------------
export const get = (i: number): Code => [0x20, ...uleb(i)];
export const set = (i: number): Code => [0x21, ...uleb(i)];
export const tee = (i: number): Code => [0x22, ...uleb(i)];
export const i32c = (v: number): Code => [0x41, ...sleb(v)];
export const f32c = (v: number): Code => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)];
export const block = (...body: Code[]): Code => [0x02, 0x40, ...body.flat(), 0x0b];
export const loop = (...body: Code[]): Code => [0x03, 0x40, ...body.flat(), 0x0b];
export const br = (depth: number): Code => [0x0c, ...uleb(depth)];
export const brIf = (depth: number): Code => [0x0d, ...uleb(depth)];
export const select: Code = [0x1b];

export const i32Load = (off = 0): Code => [0x28, ...memarg(off)];
export const f32Load = (off = 0): Code => [0x2a, ...memarg(off)];
export const i32Store = (off = 0): Code => [0x36, ...memarg(off)];
export const f32Store = (off = 0): Code => [0x38, ...memarg(off)];
export const i32Store8 = (off = 0): Code => [0x3a, ...memarg(off)];

export const i32Eqz: Code = [0x45];
export const i32LtU: Code = [0x49];
export const i32GeU: Code = [0x4f];
export const f32Lt: Code = [0x5d];
export const f32Gt: Code = [0x5e];
export const i32Add: Code = [0x6a];
export const i32Sub: Code = [0x6b];
export const i32Mul: Code = [0x6c];
export const i32And: Code = [0x71];
export const i32Shl: Code = [0x74];
export const i32ShrU: Code = [0x76];
export const f32Abs: Code = [0x8b];
export const f32Floor: Code = [0x8e];
export const f32Ge: Code = [0x60];
export const f32Sub: Code = [0x93];
export const f32Mul: Code = [0x94];
export const f32Nearest: Code = [0x90];
export const f32Add: Code = [0x92];
export const f32Div: Code = [0x95];
export const f32Min: Code = [0x96];
export const f32Max: Code = [0x97];
export const i32TruncSatF32S: Code = [0xfc, 0x00];

const simd = (op: number, ...imm: number[]): Code => [0xfd, ...uleb(op), ...imm];
export const v128Load = (off = 0): Code => simd(0x00, ...memarg(off));
export const v128Store = (off = 0): Code => simd(0x0b, ...memarg(off));
export const f32x4Splat: Code = simd(0x13);
export const i32x4ExtractLane = (lane: number): Code => simd(0x1b, lane);
export const f32x4ExtractLane = (lane: number): Code => simd(0x1f, lane);
export const i8x16NarrowI16x8S: Code = simd(0x65);
export const i8x16NarrowI16x8U: Code = simd(0x66);
export const f32x4Ge: Code = simd(0x46); // lane mask: all ones where a >= b
export const v128Bitselect: Code = simd(0x52); // (a & mask) | (b & ~mask), mask on top of the stack
export const f32x4Floor: Code = simd(0x68);
export const f32x4Nearest: Code = simd(0x6a); // round to nearest, ties to even
export const i16x8NarrowI32x4S: Code = simd(0x85);
export const f32x4Abs: Code = simd(0xe0);
export const f32x4Add: Code = simd(0xe4);
export const f32x4Sub: Code = simd(0xe5);
export const f32x4Mul: Code = simd(0xe6);
export const f32x4Div: Code = simd(0xe7); // IEEE float32 division, lane by lane
export const f32x4Pmin: Code = simd(0xea); // pmin(a, b) = b < a ? b : a  (a NaN in b is skipped)
export const f32x4Pmax: Code = simd(0xeb); // pmax(a, b) = a < b ? b : a  (a NaN in b is skipped)
export const i32x4TruncSatF32x4S: Code = simd(0xf8); // saturating; NaN → 0

// --- module -----------------------------------------------------------------------------------
export interface FuncDef {
  name: string;
  params: ValType[];
  results: ValType[];
  /** Extra locals after the parameters, in order. */
  locals: ValType[];
  body: Code[];
}

/** A module with one exported memory ("memory", `pages` × 64 KiB initially) and the functions. */
export function assemble(funcs: FuncDef[], pages: number): Uint8Array<ArrayBuffer> {
  const types = vec(funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]));
  const funcSec = vec(funcs.map((_, i) => uleb(i)));
  const mem = vec([[0x00, ...uleb(pages)]]);
  const exps = vec([
    [...uleb(6), ...bytesOf('memory'), 0x02, 0x00],
    ...funcs.map((f, i) => [...uleb(bytesOf(f.name).length), ...bytesOf(f.name), 0x00, ...uleb(i)]),
  ]);
  const codes = vec(
    funcs.map((f) => {
      const locals = vec(f.locals.map((t) => [1, t]));
      const body = [...locals, ...f.body.flat(), 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...section(3, funcSec),
    ...section(5, mem),
    ...section(7, exps),
    ...section(10, codes),
  ]);
}
