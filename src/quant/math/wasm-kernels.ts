// WebAssembly SIMD versions of the range and quantize passes for 8-bit outputs: the hot path of
// weight quantization. Plain JavaScript costs a few ns per element there (bounds checks, one
// element per iteration); 128-bit SIMD does 4 to 16 at a time.
//
// They give the same bytes as the JavaScript kernels of quantize.ts, by construction:
//   f32x4.div        IEEE float32 division: exactly ORT's float32 x / scale
//   f32x4.nearest    round half to even: np.rint
//   + zero point     in float32, exact below 2^24; beyond that the value saturates anyway
//   trunc_sat, then the two saturating narrows (i32 → i16 → i8/u8): clip to the full type range,
//                    NaN → 0 (the JS kernels store NaN as 0 too)
//   pmin / pmax      `b < a ? b : a` / `a < b ? b : a`: the JS comparisons, NaN skipped alike
// The tests run every quantize test with these kernels on and off.
//
// The kernels work on a staging area in the module's own memory: the JS side copies a chunk of
// the tensor in (a memcpy, sized to stay in L2), runs the kernel and copies the bytes out.
import {
  assemble,
  block,
  brIf,
  f32,
  f32Abs,
  f32Add,
  f32c,
  f32Div,
  f32Gt,
  f32Load,
  f32Lt,
  f32Max,
  f32Min,
  f32Nearest,
  f32Store,
  f32x4Abs,
  f32x4Add,
  f32x4Div,
  f32x4ExtractLane,
  f32x4Nearest,
  f32x4Pmax,
  f32x4Pmin,
  f32x4Splat,
  get,
  i16x8NarrowI32x4S,
  i32,
  i32Add,
  i32And,
  i32c,
  i32Eqz,
  i32GeU,
  i32LtU,
  i32Shl,
  i32Store,
  i32Store8,
  i32Sub,
  i32TruncSatF32S,
  i32x4ExtractLane,
  i32x4TruncSatF32x4S,
  i8x16NarrowI16x8S,
  i8x16NarrowI16x8U,
  loop,
  select,
  set,
  tee,
  v128,
  v128Load,
  v128Store,
} from './wasm-asm.js';
import type { Code, FuncDef } from './wasm-asm.js';

// --- the module ---------------------------------------------------------------------------------

/** local = base + (count & mask) * 4 */
export const byteEnd = (dst: number, base: number, count: number, mask: number): Code[] => [
  get(base),
  get(count),
  i32c(mask),
  i32And,
  i32c(2),
  i32Shl,
  i32Add,
  set(dst),
];
/** local += n */
export const bump = (l: number, n: number): Code[] => [get(l), i32c(n), i32Add, set(l)];
/** local += n; continue the enclosing loop while local < limit */
export const bumpLoop = (l: number, n: number, limit: number): Code[] => [get(l), i32c(n), i32Add, tee(l), get(limit), i32LtU, brIf(0)];
/** while (p < end) { body } as block/loop */
export const whileLt = (p: number, end: number, ...body: Code[]): Code => block(get(p), get(end), i32GeU, brIf(0), loop(...body));
/** m = v > m ? v : m, with v already in local `v` */
const keepMax = (m: number, v: number): Code[] => [get(v), get(m), get(v), get(m), f32Gt, select, set(m)];
const keepMin = (m: number, v: number): Code[] => [get(v), get(m), get(v), get(m), f32Lt, select, set(m)];

// absmax(ptr, n) -> f32: max(|x|) over n floats, and 0. 16 per iteration in 4 accumulators.
const absmax: FuncDef = (() => {
  const [ptr, n, end, end16, a0, a1, a2, a3, m, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const acc = (a: number, off: number): Code[] => [get(a), get(ptr), v128Load(off), f32x4Abs, f32x4Pmax, set(a)];
  const lanes: Code[] = [];
  for (let l = 1; l < 4; l++) lanes.push(get(a0), f32x4ExtractLane(l), set(v), ...keepMax(m, v));
  return {
    name: 'absmax',
    params: [i32, i32],
    results: [f32],
    locals: [i32, i32, v128, v128, v128, v128, f32, f32],
    body: [
      ...byteEnd(end, ptr, n, -1),
      ...byteEnd(end16, ptr, n, -16),
      whileLt(ptr, end16, ...acc(a0, 0), ...acc(a1, 16), ...acc(a2, 32), ...acc(a3, 48), ...bumpLoop(ptr, 64, end16)),
      get(a0), get(a1), f32x4Pmax, get(a2), get(a3), f32x4Pmax, f32x4Pmax, set(a0),
      get(a0), f32x4ExtractLane(0), set(m),
      ...lanes,
      whileLt(ptr, end, get(ptr), f32Load(0), f32Abs, set(v), ...keepMax(m, v), ...bumpLoop(ptr, 4, end)),
      get(m),
    ],
  };
})();

// minmax(ptr, n, res): res[0] = min(x, 0), res[1] = max(x, 0). 8 per iteration.
export const minmax: FuncDef = (() => {
  const [ptr, n, res, end, end8, lo0, lo1, hi0, hi1, t, l, h, v] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const step = (off: number, lo: number, hi: number): Code[] => [
    get(ptr), v128Load(off), set(t),
    get(lo), get(t), f32x4Pmin, set(lo),
    get(hi), get(t), f32x4Pmax, set(hi),
  ];
  const lanes: Code[] = [];
  for (let k = 1; k < 4; k++) {
    lanes.push(get(lo0), f32x4ExtractLane(k), set(v), ...keepMin(l, v));
    lanes.push(get(hi0), f32x4ExtractLane(k), set(v), ...keepMax(h, v));
  }
  return {
    name: 'minmax',
    params: [i32, i32, i32],
    results: [],
    locals: [i32, i32, v128, v128, v128, v128, v128, f32, f32, f32],
    body: [
      ...byteEnd(end, ptr, n, -1),
      ...byteEnd(end8, ptr, n, -8),
      whileLt(ptr, end8, ...step(0, lo0, hi0), ...step(16, lo1, hi1), ...bumpLoop(ptr, 32, end8)),
      get(lo0), get(lo1), f32x4Pmin, set(lo0),
      get(hi0), get(hi1), f32x4Pmax, set(hi0),
      get(lo0), f32x4ExtractLane(0), set(l),
      get(hi0), f32x4ExtractLane(0), set(h),
      ...lanes,
      whileLt(ptr, end, get(ptr), f32Load(0), set(v), ...keepMin(l, v), ...keepMax(h, v), ...bumpLoop(ptr, 4, end)),
      get(res), get(l), f32Store(0),
      get(res), get(h), f32Store(4),
    ],
  };
})();

/** Scalar quantize of one float already on the stack (x), given scale and zero point codes. */
const quantScalar = (scale: Code[], zp: Code[], lo: number, hi: number): Code[] => [
  ...scale, f32Div, f32Nearest, ...zp, f32Add,
  f32c(lo), f32Max, f32c(hi), f32Min, // NaN stays NaN through f32.max/min, and trunc_sat(NaN) = 0
  i32TruncSatF32S,
];

// quant_s8 / quant_u8(x, n, out, scale, zp): out[i] = sat(nearest(x[i] / scale) + zp). 16 per iteration.
function quantRun(unsigned: boolean): FuncDef {
  const [x, n, out, scale, zp, end, end16, sv, zv] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const narrow8 = unsigned ? i8x16NarrowI16x8U : i8x16NarrowI16x8S;
  const q = (off: number): Code[] => [get(x), v128Load(off), get(sv), f32x4Div, f32x4Nearest, get(zv), f32x4Add, i32x4TruncSatF32x4S];
  const [lo, hi] = unsigned ? [0, 255] : [-128, 127];
  return {
    name: unsigned ? 'quant_u8' : 'quant_s8',
    params: [i32, i32, i32, f32, f32],
    results: [],
    locals: [i32, i32, v128, v128],
    body: [
      get(scale), f32x4Splat, set(sv),
      get(zp), f32x4Splat, set(zv),
      ...byteEnd(end, x, n, -1),
      ...byteEnd(end16, x, n, -16),
      whileLt(
        x, end16,
        get(out), ...q(0), ...q(16), i16x8NarrowI32x4S, ...q(32), ...q(48), i16x8NarrowI32x4S, narrow8, v128Store(0),
        ...bump(out, 16),
        ...bumpLoop(x, 64, end16),
      ),
      whileLt(
        x, end,
        get(out), get(x), f32Load(0), ...quantScalar([get(scale)], [get(zp)], lo, hi), i32Store8(0),
        ...bump(out, 1),
        ...bumpLoop(x, 4, end),
      ),
    ],
  };
}

/** Repeat `body` for each of `rows` rows (rows may be 0). */
export const eachRow = (rows: number, ...body: Code[]): Code =>
  block(get(rows), i32Eqz, brIf(0), loop(...body, get(rows), i32c(1), i32Sub, tee(rows), brIf(0)));

// absmax_rows(x, rows, C, acc): acc[c] = max(acc[c], |x[r·C + c]|) over all rows; channel axis last.
const absmaxRows: FuncDef = (() => {
  const [x, rows, C, acc, p, end4, end, v, a] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'absmax_rows',
    params: [i32, i32, i32, i32],
    results: [],
    locals: [i32, i32, i32, f32, f32],
    body: [
      ...byteEnd(end4, acc, C, -4),
      ...byteEnd(end, acc, C, -1),
      eachRow(
        rows,
        get(acc), set(p),
        whileLt(p, end4,
          get(p), get(p), v128Load(0), get(x), v128Load(0), f32x4Abs, f32x4Pmax, v128Store(0),
          ...bump(x, 16), ...bumpLoop(p, 16, end4)),
        whileLt(p, end,
          get(p), get(x), f32Load(0), f32Abs, set(v), get(p), f32Load(0), set(a), get(v), get(a), get(v), get(a), f32Gt, select, f32Store(0),
          ...bump(x, 4), ...bumpLoop(p, 4, end)),
      ),
    ],
  };
})();

// minmax_rows(x, rows, C, mins, maxs): running per-channel min and max; channel axis last.
export const minmaxRows: FuncDef = (() => {
  const [x, rows, C, mins, maxs, p, q, end4, end, t, v, a] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  return {
    name: 'minmax_rows',
    params: [i32, i32, i32, i32, i32],
    results: [],
    locals: [i32, i32, i32, i32, v128, f32, f32],
    body: [
      ...byteEnd(end4, mins, C, -4),
      ...byteEnd(end, mins, C, -1),
      eachRow(
        rows,
        get(mins), set(p),
        get(maxs), set(q),
        whileLt(p, end4,
          get(x), v128Load(0), set(t),
          get(p), get(p), v128Load(0), get(t), f32x4Pmin, v128Store(0),
          get(q), get(q), v128Load(0), get(t), f32x4Pmax, v128Store(0),
          ...bump(x, 16), ...bump(q, 16), ...bumpLoop(p, 16, end4)),
        whileLt(p, end,
          get(x), f32Load(0), set(v),
          get(p), get(v), get(p), f32Load(0), tee(a), get(v), get(a), f32Lt, select, f32Store(0),
          get(q), get(v), get(q), f32Load(0), tee(a), get(v), get(a), f32Gt, select, f32Store(0),
          ...bump(x, 4), ...bump(q, 4), ...bumpLoop(p, 4, end)),
      ),
    ],
  };
})();

// quant_rows_s8 / _u8(x, rows, C, out, scales, zps): channel axis last, scale and zero point per column.
function quantRows(unsigned: boolean): FuncDef {
  const [x, rows, C, out, scales, zps, s, z, end4, end, t] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const narrow8 = unsigned ? i8x16NarrowI16x8U : i8x16NarrowI16x8S;
  const [lo, hi] = unsigned ? [0, 255] : [-128, 127];
  return {
    name: unsigned ? 'quant_rows_u8' : 'quant_rows_s8',
    params: [i32, i32, i32, i32, i32, i32],
    results: [],
    locals: [i32, i32, i32, i32, v128],
    body: [
      ...byteEnd(end4, scales, C, -4),
      ...byteEnd(end, scales, C, -1),
      eachRow(
        rows,
        get(scales), set(s),
        get(zps), set(z),
        whileLt(s, end4,
          get(out),
          get(x), v128Load(0), get(s), v128Load(0), f32x4Div, f32x4Nearest, get(z), v128Load(0), f32x4Add, i32x4TruncSatF32x4S, set(t),
          get(t), get(t), i16x8NarrowI32x4S, set(t),
          get(t), get(t), narrow8, i32x4ExtractLane(0), i32Store(0),
          ...bump(x, 16), ...bump(z, 16), ...bump(out, 4), ...bumpLoop(s, 16, end4)),
        whileLt(s, end,
          get(out), get(x), f32Load(0), ...quantScalar([get(s), f32Load(0)], [get(z), f32Load(0)], lo, hi), i32Store8(0),
          ...bump(x, 4), ...bump(z, 4), ...bump(out, 1), ...bumpLoop(s, 4, end)),
      ),
    ],
  };
}

interface Exports {
  memory: WebAssembly.Memory;
  absmax(ptr: number, n: number): number;
  minmax(ptr: number, n: number, res: number): void;
  quant_s8(x: number, n: number, out: number, scale: number, zp: number): void;
  quant_u8(x: number, n: number, out: number, scale: number, zp: number): void;
  absmax_rows(x: number, rows: number, channels: number, acc: number): void;
  minmax_rows(x: number, rows: number, channels: number, mins: number, maxs: number): void;
  quant_rows_s8(x: number, rows: number, channels: number, out: number, scales: number, zps: number): void;
  quant_rows_u8(x: number, rows: number, channels: number, out: number, scales: number, zps: number): void;
}

// --- the JavaScript side ----------------------------------------------------------------------------

/** Floats per staging chunk: 128 KiB in + 32 KiB out, which stays in a core's L2 cache. */
const STAGE = 32768;
/** Segments shorter than this go to the JavaScript kernels: the copy and call would cost more. */
export const WASM_MIN_RUN = 64;

/** A module's memory seen as float32 and byte arrays, grown on demand (the views follow a grown buffer). */
export class ModuleMemory {
  protected f32 = new Float32Array(0);
  protected u8 = new Uint8Array(0);

  constructor(private readonly memory: WebAssembly.Memory) {
    this.refresh();
  }

  private refresh(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.u8 = new Uint8Array(this.memory.buffer);
  }

  /** Makes the memory at least `bytes` long. */
  protected ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (have < bytes) this.memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.f32.buffer !== this.memory.buffer) this.refresh();
  }
}

/** The range and 8-bit quantize passes, on whole tensors laid out as outer × channels × inner. */
export class WasmKernels extends ModuleMemory {
  private readonly ex: Exports;

  constructor(ex: Exports) {
    super(ex.memory);
    this.ex = ex;
  }

  /** Layout: [0, 16) results, then `perChannel` float arrays of C, then staging in, staging out. */
  private layout(perChannel: number, channels: number, stageFloats: number): { arrays: number; inp: number; out: number } {
    const arrays = 16;
    const inp = arrays + ((perChannel * channels * 4 + 15) & ~15);
    const out = inp + stageFloats * 4;
    this.ensure(out + stageFloats);
    return { arrays, inp, out };
  }

  /** max |x[start..end)| (and 0). */
  absMaxRun(x: Float32Array, start: number, end: number): number {
    const { inp } = this.layout(0, 0, STAGE);
    let m = 0;
    for (let a = start; a < end; a += STAGE) {
      const b = Math.min(end, a + STAGE);
      this.f32.set(x.subarray(a, b), inp >> 2);
      const r = this.ex.absmax(inp, b - a);
      if (r > m) m = r;
    }
    return m;
  }

  /** [min(x[start..end), lo), max(x[start..end), hi)]. */
  minMaxRun(x: Float32Array, start: number, end: number, lo: number, hi: number): [number, number] {
    const { inp } = this.layout(0, 0, STAGE);
    for (let a = start; a < end; a += STAGE) {
      const b = Math.min(end, a + STAGE);
      this.f32.set(x.subarray(a, b), inp >> 2);
      this.ex.minmax(inp, b - a, 0);
      const l = this.f32[0]!;
      const h = this.f32[1]!;
      if (l < lo) lo = l;
      if (h > hi) hi = h;
    }
    return [lo, hi];
  }

  /** Per-channel max |x| (and 0, and what `acc` holds) with the channel axis last. */
  absMaxRows(x: Float32Array, outer: number, channels: number, acc: Float64Array): void {
    const rowsPerChunk = Math.max(1, Math.floor(STAGE / channels));
    const { arrays, inp } = this.layout(1, channels, rowsPerChunk * channels);
    const accF = arrays >> 2;
    for (let c = 0; c < channels; c++) this.f32[accF + c] = acc[c]!;
    for (let r = 0; r < outer; r += rowsPerChunk) {
      const k = Math.min(rowsPerChunk, outer - r);
      this.f32.set(x.subarray(r * channels, (r + k) * channels), inp >> 2);
      this.ex.absmax_rows(inp, k, channels, arrays);
    }
    for (let c = 0; c < channels; c++) acc[c] = this.f32[accF + c]!;
  }

  /** Per-channel running min and max with the channel axis last. */
  minMaxRows(x: Float32Array, outer: number, channels: number, mins: Float64Array, maxs: Float64Array): void {
    const rowsPerChunk = Math.max(1, Math.floor(STAGE / channels));
    const { arrays, inp } = this.layout(2, channels, rowsPerChunk * channels);
    const minF = arrays >> 2;
    const maxF = minF + channels;
    for (let c = 0; c < channels; c++) {
      this.f32[minF + c] = mins[c]!;
      this.f32[maxF + c] = maxs[c]!;
    }
    for (let r = 0; r < outer; r += rowsPerChunk) {
      const k = Math.min(rowsPerChunk, outer - r);
      this.f32.set(x.subarray(r * channels, (r + k) * channels), inp >> 2);
      this.ex.minmax_rows(inp, k, channels, arrays, arrays + channels * 4);
    }
    for (let c = 0; c < channels; c++) {
      mins[c] = this.f32[minF + c]!;
      maxs[c] = this.f32[maxF + c]!;
    }
  }

  /** out[start..end) = sat8(rint(float32(x / scale)) + zp): 8-bit bytes, int8 two's complement. */
  quantizeRun(x: Float32Array, start: number, end: number, scale: number, zp: number, unsigned: boolean, out: Uint8Array): void {
    const { inp, out: o } = this.layout(0, 0, STAGE);
    const kernel = unsigned ? this.ex.quant_u8 : this.ex.quant_s8;
    for (let a = start; a < end; a += STAGE) {
      const b = Math.min(end, a + STAGE);
      this.f32.set(x.subarray(a, b), inp >> 2);
      kernel(inp, b - a, o, scale, zp);
      out.set(this.u8.subarray(o, o + (b - a)), a);
    }
  }

  /** Whether a block of `n` floats fits the staging area, for quantizeBlockWithRange. */
  fitsStage(n: number): boolean {
    return n <= STAGE;
  }

  /**
   * Range pass and quantize pass over one block (n <= STAGE) copied into the module once: the
   * block's max |x| (symmetric) or min/max (and 0) go to `params`, whose scale and zero point
   * then quantize it. Saves reading the tensor from memory twice when each channel is one block.
   */
  quantizeBlockWithRange(
    x: Float32Array,
    start: number,
    end: number,
    symmetric: boolean,
    params: (rmin: number, rmax: number) => { scale: number; zeroPoint: number },
    unsigned: boolean,
    out: Uint8Array,
  ): { scale: number; zeroPoint: number } {
    const { inp, out: o } = this.layout(0, 0, STAGE);
    const n = end - start;
    this.f32.set(x.subarray(start, end), inp >> 2);
    let p: { scale: number; zeroPoint: number };
    if (symmetric) {
      const m = this.ex.absmax(inp, n);
      p = params(-m, m);
    } else {
      this.ex.minmax(inp, n, 0);
      p = params(this.f32[0]!, this.f32[1]!);
    }
    (unsigned ? this.ex.quant_u8 : this.ex.quant_s8)(inp, n, o, p.scale, p.zeroPoint);
    out.set(this.u8.subarray(o, o + n), start);
    return p;
  }

  /** As quantizeRun with a scale and zero point per column, the channel axis last. */
  quantizeRows(
    x: Float32Array,
    outer: number,
    channels: number,
    scales: Float64Array,
    zps: Float64Array,
    unsigned: boolean,
    out: Uint8Array,
  ): void {
    const rowsPerChunk = Math.max(1, Math.floor(STAGE / channels));
    const { arrays, inp, out: o } = this.layout(2, channels, rowsPerChunk * channels);
    const sF = arrays >> 2;
    const zF = sF + channels;
    for (let c = 0; c < channels; c++) {
      this.f32[sF + c] = scales[c]!;
      this.f32[zF + c] = zps[c]!;
    }
    const kernel = unsigned ? this.ex.quant_rows_u8 : this.ex.quant_rows_s8;
    for (let r = 0; r < outer; r += rowsPerChunk) {
      const k = Math.min(rowsPerChunk, outer - r);
      const n = k * channels;
      this.f32.set(x.subarray(r * channels, r * channels + n), inp >> 2);
      kernel(inp, k, channels, o, arrays, arrays + channels * 4);
      out.set(this.u8.subarray(o, o + n), r * channels);
    }
  }
}

/** The kernels, or null where WebAssembly SIMD is not available. */
export function loadWasmKernels(): WasmKernels | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = assemble(
      [absmax, minmax, quantRun(false), quantRun(true), absmaxRows, minmaxRows, quantRows(false), quantRows(true)],
      4,
    );
    if (!WebAssembly.validate(bytes)) return null;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return new WasmKernels(instance.exports as unknown as Exports);
  } catch {
    return null;
  }
}
