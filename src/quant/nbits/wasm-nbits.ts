// WebAssembly SIMD kernels for block-wise low-bit quantization, the hot
// loops of q4/q2 on big models (plain JavaScript costs several ns a weight).
// They compute exactly what blocks.ts's JavaScript does, as ONNX Runtime's
// quantizer does:
//   y = float32(float32(x * reciprocal) + zero_point)   f32x4.mul, f32x4.add
//   y clamped to [0, qmax]                               (clamping before rounding gives the same code)
//   code = roundf(y) = floor(y) + (y - floor(y) >= 0.5)   half away from zero; y - floor(y) is exact
// Ranges reuse the 8-bit kernels' min/max (wasm-kernels.ts), which also take
// 0 into the range: for a block's extreme value (symmetric) and for the
// widened range (zero points) that changes nothing.
import { assemble, brIf, f32, f32Add, f32c, f32Floor, f32Ge, f32Load, f32Max, f32Min, f32Mul, f32Sub, f32x4Add, f32x4Floor,
  f32x4Ge, f32x4Mul, f32x4Pmax, f32x4Pmin, f32x4Splat, f32x4Sub, get, i16x8NarrowI32x4S, i32, i32Store, i32Store8, i32TruncSatF32S,
  i32Add, i32And, i32c, i32LtU, i32Mul, i32Shl, i32ShrU, i32Sub, i32x4ExtractLane, i32x4TruncSatF32x4S, i8x16NarrowI16x8U, select, set, v128, v128Bitselect, v128Load, v128Store, type Code, type FuncDef } from '../math/wasm-asm.js';
import { bump, bumpLoop, byteEnd, eachRow, minmax, minmaxRows, ModuleMemory, whileLt } from '../math/wasm-kernels.js';

/** Vector code of 4 lanes of y (on the stack) given the constants' locals: clamp, roundf, to i32x4. */
const roundVector = (zero: number, qmax: number, half: number, one: number, y: number, f: number): Code[] => [
  get(zero), f32x4Pmax, get(qmax), f32x4Pmin, set(y),
  get(y), f32x4Floor, set(f),
  get(f), get(one), f32x4Add, get(f),
  get(y), get(f), f32x4Sub, get(half), f32x4Ge,
  v128Bitselect,
  i32x4TruncSatF32x4S,
];

/** Scalar roundf(clamp(y)) of y on the stack; `ys` and `fs` are f32 scratch locals. */
const roundScalar = (qmaxParam: number, ys: number, fs: number): Code[] => [
  f32c(0), f32Max, get(qmaxParam), f32Min, set(ys),
  get(ys), f32Floor, set(fs),
  get(fs), f32c(1), f32Add, get(fs),
  get(ys), get(fs), f32Sub, f32c(0.5), f32Ge,
  select,
  i32TruncSatF32S,
];

/** Four i32 lanes on the stack → four bytes stored at `out`. */
const store4 = (out: number, t: number): Code[] => [
  set(t),
  get(out), get(t), get(t), i16x8NarrowI32x4S, set(t),
  get(t), get(t), i8x16NarrowI16x8U, i32x4ExtractLane(0), i32Store(0),
];

/** Four i32 lanes on the stack → bytes at at, at + stride, at + 2·stride, at + 3·stride. */
const store4Strided = (at: number, stride: number, t: number, p: number): Code[] => {
  const code: Code[] = [set(t), get(at), set(p)];
  for (let j = 0; j < 4; j++) code.push(get(p), get(t), i32x4ExtractLane(j), i32Store8(0), get(p), get(stride), i32Add, set(p));
  return code;
};

// quant_rows_nbits(x, rows, C, out, recips, zps, qmax, stride): codes of a [rows, C] block row, a
// reciprocal scale and zero point per column (the MatMul weight's output feature), written
// transposed: out[c * stride + r], each column's codes contiguous (the order MatMulNBits packs
// them in). Four columns at a time down all the rows: each column's bytes are written in one burst.
const quantRowsNBits: FuncDef = (() => {
  const [x, rows, C, out, recips, zps, qmax, stride] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [r, z, end4, end, zero, qv, half, one, y, f, t, ys, fs, p, rv, zv, xp, at, rowEnd, rowBytes] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];
  return {
    name: 'quant_rows_nbits',
    params: [i32, i32, i32, i32, i32, i32, f32, i32],
    results: [],
    locals: [i32, i32, i32, i32, v128, v128, v128, v128, v128, v128, v128, f32, f32, i32, v128, v128, i32, i32, i32, i32],
    body: [
      f32c(0), f32x4Splat, set(zero),
      get(qmax), f32x4Splat, set(qv),
      f32c(0.5), f32x4Splat, set(half),
      f32c(1), f32x4Splat, set(one),
      ...byteEnd(end4, recips, C, -4),
      ...byteEnd(end, recips, C, -1),
      get(C), i32c(2), i32Shl, set(rowBytes),
      get(recips), set(r),
      get(zps), set(z),
      get(out), set(at),
      // Four columns: their reciprocals and zero points once, then every row.
      whileLt(r, end4,
        get(r), v128Load(0), set(rv),
        get(z), v128Load(0), set(zv),
        get(x), set(xp),
        get(x), get(rowBytes), get(rows), i32Mul, i32Add, set(rowEnd),
        whileLt(xp, rowEnd,
          get(xp), v128Load(0), get(rv), f32x4Mul, get(zv), f32x4Add,
          ...roundVector(zero, qv, half, one, y, f),
          ...store4Strided(at, stride, t, p),
          ...bump(at, 1),
          get(xp), get(rowBytes), i32Add, set(xp), get(xp), get(rowEnd), i32LtU, brIf(0)),
        // Next four columns: back to row 0, four columns on.
        get(at), get(rows), i32Sub, get(stride), i32c(2), i32Shl, i32Add, set(at),
        ...bump(x, 16), ...bump(z, 16), ...bumpLoop(r, 16, end4)),
      // The last C % 4 columns, one at a time.
      whileLt(r, end,
        get(x), set(xp),
        get(x), get(rowBytes), get(rows), i32Mul, i32Add, set(rowEnd),
        get(at), set(p),
        whileLt(xp, rowEnd,
          get(p),
          get(xp), f32Load(0), get(r), f32Load(0), f32Mul, get(z), f32Load(0), f32Add,
          ...roundScalar(qmax, ys, fs),
          i32Store8(0),
          ...bump(p, 1),
          get(xp), get(rowBytes), i32Add, set(xp), get(xp), get(rowEnd), i32LtU, brIf(0)),
        get(at), get(stride), i32Add, set(at),
        ...bump(x, 4), ...bump(z, 4), ...bumpLoop(r, 4, end)),
    ],
  };
})();

// quant_blocks_nbits(x, blocks, bs, out, recips, zps, qmax): codes of consecutive blocks of bs values
// (bs a multiple of 4), a reciprocal scale and zero point per block.
const quantBlocksNBits: FuncDef = (() => {
  const [x, blocks, bs, out, recips, zps, qmax] = [0, 1, 2, 3, 4, 5, 6];
  const [p, end, rv, zv, zero, qv, half, one, y, f, t] = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17];
  return {
    name: 'quant_blocks_nbits',
    params: [i32, i32, i32, i32, i32, i32, f32],
    results: [],
    locals: [i32, i32, v128, v128, v128, v128, v128, v128, v128, v128, v128],
    body: [
      f32c(0), f32x4Splat, set(zero),
      get(qmax), f32x4Splat, set(qv),
      f32c(0.5), f32x4Splat, set(half),
      f32c(1), f32x4Splat, set(one),
      eachRow(
        blocks,
        get(recips), f32Load(0), f32x4Splat, set(rv),
        get(zps), f32Load(0), f32x4Splat, set(zv),
        get(x), set(p),
        ...byteEnd(end, x, bs, -1),
        whileLt(p, end,
          get(p), v128Load(0), get(rv), f32x4Mul, get(zv), f32x4Add,
          ...roundVector(zero, qv, half, one, y, f),
          ...store4(out, t),
          ...bump(out, 4), ...bumpLoop(p, 16, end)),
        get(end), set(x),
        ...bump(recips, 4), ...bump(zps, 4),
      ),
    ],
  };
})();

// xtx4(x, rows, rowBytes, acc): acc[a][b] += sum over rows r of x[r][a] · x[r][b], for b from a
// rounded down to a multiple of 4 (the upper triangle and a few entries below it, never read).
// x is [rows][rowBytes / 4] with rows a multiple of 4 and row widths a multiple of 4 (zero padded);
// acc the same width. Four rows at a time: one load and store of acc per 16 products.
const xtx4: FuncDef = (() => {
  const [x, rows, rowBytes, acc] = [0, 1, 2, 3];
  const [p0, p1, p2, p3, a, v0, v1, v2, v3, accp, q, t, rowsEnd] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const term = (v: number, p: number): Code[] => [get(v), get(p), get(q), i32Add, v128Load(0), f32x4Mul, f32x4Add];
  return {
    name: 'xtx4',
    params: [i32, i32, i32, i32],
    results: [],
    locals: [i32, i32, i32, i32, i32, v128, v128, v128, v128, i32, i32, v128, i32],
    body: [
      get(x), get(rows), get(rowBytes), i32Mul, i32Add, set(rowsEnd),
      get(x), set(p0),
      whileLt(p0, rowsEnd,
        get(p0), get(rowBytes), i32Add, set(p1),
        get(p1), get(rowBytes), i32Add, set(p2),
        get(p2), get(rowBytes), i32Add, set(p3),
        i32c(0), set(a),
        whileLt(a, rowBytes,
          get(p0), get(a), i32Add, f32Load(0), f32x4Splat, set(v0),
          get(p1), get(a), i32Add, f32Load(0), f32x4Splat, set(v1),
          get(p2), get(a), i32Add, f32Load(0), f32x4Splat, set(v2),
          get(p3), get(a), i32Add, f32Load(0), f32x4Splat, set(v3),
          // b starts at a's group of four: q = (a & ~15) in bytes; accp = acc + (a / 4) · rowBytes + q.
          get(a), i32c(-16), i32And, set(q),
          get(acc), get(a), i32c(2), i32ShrU, get(rowBytes), i32Mul, i32Add, get(q), i32Add, set(accp),
          whileLt(q, rowBytes,
            get(accp), v128Load(0), set(t),
            get(t), ...term(v0, p0), ...term(v1, p1), ...term(v2, p2), ...term(v3, p3), set(t),
            get(accp), get(t), v128Store(0),
            ...bump(accp, 16), ...bumpLoop(q, 16, rowBytes)),
          ...bumpLoop(a, 4, rowBytes)),
        get(p3), get(rowBytes), i32Add, set(p0),
        get(p0), get(rowsEnd), i32LtU, brIf(0)),
    ],
  };
})();

interface Exports {
  memory: WebAssembly.Memory;
  minmax(ptr: number, n: number, res: number): void;
  minmax_rows(x: number, rows: number, channels: number, mins: number, maxs: number): void;
  quant_rows_nbits(x: number, rows: number, channels: number, out: number, recips: number, zps: number, qmax: number, stride: number): void;
  quant_blocks_nbits(x: number, blocks: number, bs: number, out: number, recips: number, zps: number, qmax: number): void;
  xtx4(x: number, rows: number, rowBytes: number, acc: number): void;
}

/** The block kernels over the module's memory: parameters, then the staged floats, then the codes. */
export class NBitsKernels extends ModuleMemory {
  constructor(private readonly ex: Exports) {
    super(ex.memory);
  }

  /**
   * Block-wise codes of a [K, N] weight, a block row (`bs` rows) at a time: per-column min and max
   * (with 0), reciprocal scales and zero points from `params(block, mins, maxs, recips, zps)`, then
   * the codes, written straight into their final place [n][kPad] in the module's memory (no
   * transposing copy in JavaScript) and copied out once at the end.
   */
  matrixCodes(w: Float32Array, k: number, n: number, bs: number, qmax: number,
    params: (block: number, mins: Float32Array, maxs: Float32Array, recips: Float32Array, zps: Float32Array) => void): Uint8Array {
    const kBlocks = Math.ceil(k / bs);
    const kPad = kBlocks * bs;
    const pMin = 0;
    const pMax = pMin + n * 4;
    const pRec = pMax + n * 4;
    const pZp = pRec + n * 4;
    const pIn = (pZp + n * 4 + 15) & ~15;
    const pCodes = pIn + bs * n * 4;
    this.ensure(pCodes + n * kPad);
    const mins = this.f32.subarray(pMin >> 2, (pMin >> 2) + n);
    const maxs = this.f32.subarray(pMax >> 2, (pMax >> 2) + n);
    const recips = this.f32.subarray(pRec >> 2, (pRec >> 2) + n);
    const zps = this.f32.subarray(pZp >> 2, (pZp >> 2) + n);
    for (let b = 0; b < kBlocks; b++) {
      const r0 = b * bs;
      const rows = Math.min(bs, k - r0);
      mins.fill(0);
      maxs.fill(0);
      this.f32.set(w.subarray(r0 * n, (r0 + rows) * n), pIn >> 2);
      this.ex.minmax_rows(pIn, rows, n, pMin, pMax);
      params(b, mins, maxs, recips, zps);
      this.ex.quant_rows_nbits(pIn, rows, n, pCodes + r0, pRec, pZp, qmax, kPad);
      // The padding of a last, partial block holds the zero point.
      if (rows < bs) for (let c = 0; c < n; c++) this.u8.fill(zps[c]!, pCodes + c * kPad + r0 + rows, pCodes + c * kPad + r0 + bs);
    }
    return this.u8.slice(pCodes, pCodes + n * kPad);
  }

  /**
   * Adds X^T X of `x` ([rows, k], row major) to the upper triangle of `h`: the products summed in
   * float32 within this call (one sample: a few hundred to a few thousand rows), then added to H's
   * float64 running sums. GPTQ's statistics, about four times faster than in JavaScript.
   */
  xtx(x: Float32Array, k: number, h: Float64Array): number {
    const rows = Math.floor(x.length / k);
    const k4 = (k + 3) & ~3;
    const rows4 = (rows + 3) & ~3;
    const pAcc = 0;
    const pX = k4 * k4 * 4;
    this.ensure(pX + rows4 * k4 * 4);
    this.f32.fill(0, 0, (pX >> 2) + rows4 * k4);
    const base = pX >> 2;
    if (k4 === k) this.f32.set(x.subarray(0, rows * k), base);
    else for (let r = 0; r < rows; r++) this.f32.set(x.subarray(r * k, (r + 1) * k), base + r * k4);
    this.ex.xtx4(pX, rows4, k4 * 4, pAcc);
    for (let a = 0; a < k; a++) {
      const src = a * k4;
      const dst = a * k;
      for (let b = a; b < k; b++) h[dst + b]! += this.f32[src + b]!;
    }
    return rows;
  }

  /**
   * Rows of an [N, K] matrix, each already padded with zeros to whole blocks (`padded` = blocks ×
   * bs values a row): per-block min and max (with 0), then the codes, in the same order.
   */
  blockRuns(x: Float32Array, blocks: number, bs: number, mins: Float32Array, maxs: Float32Array,
    params: (recips: Float32Array, zps: Float32Array) => void, qmax: number, codes: Uint8Array): void {
    const pRes = 0;
    const pRec = 16;
    const pZp = pRec + ((blocks * 4 + 15) & ~15);
    const pIn = pZp + ((blocks * 4 + 15) & ~15);
    const pOut = pIn + blocks * bs * 4;
    this.ensure(pOut + blocks * bs);
    this.f32.set(x.subarray(0, blocks * bs), pIn >> 2);
    for (let b = 0; b < blocks; b++) {
      this.ex.minmax(pIn + b * bs * 4, bs, pRes);
      mins[b] = this.f32[0]!;
      maxs[b] = this.f32[1]!;
    }
    const recips = this.f32.subarray(pRec >> 2, (pRec >> 2) + blocks);
    const zps = this.f32.subarray(pZp >> 2, (pZp >> 2) + blocks);
    params(recips, zps);
    this.ex.quant_blocks_nbits(pIn, blocks, bs, pOut, pRec, pZp, qmax);
    codes.set(this.u8.subarray(pOut, pOut + blocks * bs));
  }
}

let loaded: NBitsKernels | null | undefined;
let wanted = true;

/** The kernels, or null where WebAssembly SIMD is missing (or they are turned off). */
export function nbitsKernels(): NBitsKernels | null {
  if (!wanted) return null;
  if (loaded === undefined) {
    try {
      const bytes = assemble([minmax, minmaxRows, quantRowsNBits, quantBlocksNBits, xtx4], 4);
      loaded = WebAssembly.validate(bytes) ? new NBitsKernels(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as Exports) : null;
    } catch {
      loaded = null;
    }
  }
  return loaded;
}

/** Turns the kernels off (false) or on (true, the default), e.g. to compare them with the JavaScript loops. */
export function setNBitsKernels(on: boolean): boolean {
  wanted = on;
  return nbitsKernels() !== null;
}
