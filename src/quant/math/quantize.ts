// Linear quantization of float32 tensors (per tensor and per channel), as onnxruntime's
// quantize_data / quantize_nparray / quantize_onnx_initializer (quant_utils.py) compute it:
//
//   q = clip(rint(float32(x / scale)) + zero_point, type min, type max)
//
// - The division is float32 (ORT divides a float32 array by a float32 scale). Dividing the two
//   float32 values as doubles and rounding once with Math.fround gives the same float32: double
//   rounding is harmless for one IEEE operation since 53 >= 2·24 + 2.
// - rint rounds half to even (the 1.5·2^52 add/subtract, see round.ts).
// - The clip is to the full range of the type (ORT's quantize_nparray asks for
//   reduce_range=False, symmetric=False), not the symmetric/reduced range the scale came from.
//
// This is the hot path for big models, so: typed arrays only; a range pass laid out for the
// channel axis (contiguous blocks, or rows when the axis is last) then a quantize pass, fused into
// one read of the tensor when each channel is one block; no closures or Math.min/max per element;
// the clip tested once per element instead of computed; kernels kept monomorphic (8-bit outputs
// are written through a Uint8Array view: storing a negative integer into a Uint8Array wraps
// modulo 256, which is exactly the int8 byte). For 8-bit outputs the WebAssembly SIMD kernels of
// wasm-kernels.ts do both passes (about 10× the JavaScript ones); the JavaScript kernels remain
// for 16/32-bit outputs, short channel blocks, custom clip ranges, and runtimes without SIMD.
import { ROUND_MAGIC } from './round.js';
import { computeScaleZeroPoint } from './scale.js';
import { newQuantizedArray, qRange, typeRange } from './ranges.js';
import type { QuantizedArray, QuantType, RangeOptions } from './ranges.js';
import { loadWasmKernels, WASM_MIN_RUN } from './wasm-kernels.js';
import type { WasmKernels } from './wasm-kernels.js';

// The WebAssembly SIMD kernels (wasm-kernels.ts) take over the 8-bit range and quantize passes
// where they are available; they give the same bytes as the JavaScript kernels below.
let wasmLoaded: WasmKernels | null | undefined;
let wasmWanted = true;
/** Channel blocks shorter than this stay in JavaScript: copying them in and out costs more. */
let wasmMinRun = WASM_MIN_RUN;

function wasmKernels(): WasmKernels | null {
  if (!wasmWanted) return null;
  if (wasmLoaded === undefined) wasmLoaded = loadWasmKernels();
  return wasmLoaded;
}

/**
 * Turns the WebAssembly SIMD kernels on (true, the default) or off (false), e.g. to compare them
 * with the JavaScript ones; 'always' also sends the shortest runs to them (for tests). Returns
 * whether they are in use now (false where WebAssembly SIMD is missing).
 */
export function setWasmKernels(mode: boolean | 'always'): boolean {
  wasmWanted = mode !== false;
  wasmMinRun = mode === 'always' ? 1 : WASM_MIN_RUN;
  return wasmKernels() !== null;
}

export interface QuantizeOptions extends RangeOptions {
  /** ORT's MinimumRealRange extra option: a floor on rmax - rmin. Off when undefined. */
  minRealRange?: number;
}

export interface PerTensorResult {
  data: QuantizedArray;
  /** float32 value */
  scale: number;
  zeroPoint: number;
}

export interface PerChannelResult {
  data: QuantizedArray;
  /** One float32 scale per index of the axis. */
  scales: Float32Array;
  /** One zero point per index of the axis, in the quantized type (as the ONNX initializer holds it). */
  zeroPoints: QuantizedArray;
}

/** A tensor seen as outer × channels × inner, the channel being the quantization axis. */
export interface ChannelLayout {
  /** The axis, made non-negative. */
  axis: number;
  outer: number;
  channels: number;
  inner: number;
}

/** Splits `shape` around `axis` (negative counts from the end, as ORT's normalize_axis). */
export function channelLayout(shape: readonly number[], axis: number): ChannelLayout {
  const rank = shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new RangeError(`axis ${axis} is out of range for rank ${rank}`);
  }
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < rank; d++) {
    const n = shape[d]!;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`bad dimension ${n} in shape [${shape.join(', ')}]`);
    if (d < a) outer *= n;
    else if (d > a) inner *= n;
  }
  return { axis: a, outer, channels: shape[a]!, inner };
}

function checkLength(x: ArrayLike<number>, l: ChannelLayout, shape: readonly number[]): void {
  if (l.outer * l.channels * l.inner !== x.length) {
    throw new RangeError(`shape [${shape.join(', ')}] does not match ${x.length} elements`);
  }
}

// ---------------------------------------------------------------------------------------------
// Range pass. Accumulators start at 0, which is ORT's rmin = min(min(x), 0), rmax = max(max(x), 0)
// for free. NaN elements fail every comparison and are skipped.

/** Per-channel max |x| (and 0), channel blocks of `inner` contiguous elements. */
function absMaxBlocks(x: Float32Array, outer: number, channels: number, inner: number, out: Float64Array): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let m = out[c]!;
      const end = i + inner;
      for (; i < end; i++) {
        const a = Math.abs(x[i]!);
        m = a > m ? a : m;
      }
      out[c] = m;
    }
  }
}

/** Per-channel max |x| (and 0) when the channel axis is the last one (inner == 1). */
function absMaxRows(x: Float32Array, outer: number, channels: number, out: Float64Array): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, i++) {
      const a = Math.abs(x[i]!);
      if (a > out[c]!) out[c] = a;
    }
  }
}

/** Per-channel min (and 0) and max (and 0), channel blocks of `inner` contiguous elements. */
function minMaxBlocks(
  x: Float32Array,
  outer: number,
  channels: number,
  inner: number,
  mins: Float64Array,
  maxs: Float64Array,
): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      let lo = mins[c]!;
      let hi = maxs[c]!;
      const end = i + inner;
      for (; i < end; i++) {
        const v = x[i]!;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      }
      mins[c] = lo;
      maxs[c] = hi;
    }
  }
}

/** Per-channel min (and 0) and max (and 0) when the channel axis is the last one. */
function minMaxRows(x: Float32Array, outer: number, channels: number, mins: Float64Array, maxs: Float64Array): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, i++) {
      const v = x[i]!;
      if (v < mins[c]!) mins[c] = v;
      if (v > maxs[c]!) maxs[c] = v;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Quantize pass. `(q + ROUND_MAGIC) - ROUND_MAGIC` is rint for |q| < 2^51; beyond that (and for
// ±Infinity) it stays far outside [lo, hi] on the same side, so the clip still gives ORT's answer.
// NaN stays NaN through the clip and is stored as 0, which is also what numpy's cast gives on x86.

/** out[start..end) = quantized x[start..end), one scale; 8-bit output. */
function quantizeRun8(
  x: Float32Array,
  start: number,
  end: number,
  scale: number,
  zp: number,
  lo: number,
  hi: number,
  out: Uint8Array,
): void {
  // Quotients strictly within half a step of [lo - zp, hi - zp] round into range: no clip needed.
  // Testing that first (a branch that is almost never taken for weights) is much cheaper in V8
  // than clipping every value.
  const qlo = lo - zp - 0.5;
  const qhi = hi - zp + 0.5;
  for (let i = start; i < end; i++) {
    const q = Math.fround(x[i]! / scale);
    if (q > qlo && q < qhi) {
      out[i] = q + ROUND_MAGIC - ROUND_MAGIC + zp;
    } else {
      const v = q + ROUND_MAGIC - ROUND_MAGIC + zp; // NaN fails both tests below and is stored as 0
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

/** Channel axis last: element i uses channel i % channels; 8-bit output. */
function quantizeRows8(
  x: Float32Array,
  outer: number,
  channels: number,
  scales: Float64Array,
  zps: Float64Array,
  lo: number,
  hi: number,
  out: Uint8Array,
): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, i++) {
      const zp = zps[c]!;
      const q = Math.fround(x[i]! / scales[c]!);
      if (q > lo - zp - 0.5 && q < hi - zp + 0.5) {
        out[i] = q + ROUND_MAGIC - ROUND_MAGIC + zp;
      } else {
        const v = q + ROUND_MAGIC - ROUND_MAGIC + zp;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  }
}

/**
 * As quantizeRun8, for 16- and 32-bit outputs. Written out again on purpose: one
 * loop per output array type keeps each loop monomorphic in V8, the reason the
 * hot loops are not shared.
 */
function quantizeRunWide(
  x: Float32Array,
  start: number,
  end: number,
  scale: number,
  zp: number,
  lo: number,
  hi: number,
  out: Uint16Array | Int32Array,
): void {
  // Quotients strictly within half a step of [lo - zp, hi - zp] round into range: no clip needed.
  // Testing that first (a branch that is almost never taken for weights) is much cheaper in V8
  // than clipping every value.
  const qlo = lo - zp - 0.5;
  const qhi = hi - zp + 0.5;
  for (let i = start; i < end; i++) {
    const q = Math.fround(x[i]! / scale);
    if (q > qlo && q < qhi) {
      out[i] = q + ROUND_MAGIC - ROUND_MAGIC + zp;
    } else {
      const v = q + ROUND_MAGIC - ROUND_MAGIC + zp; // NaN fails both tests below and is stored as 0
      out[i] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

/** As quantizeRows8, for 16- and 32-bit outputs. */
function quantizeRowsWide(
  x: Float32Array,
  outer: number,
  channels: number,
  scales: Float64Array,
  zps: Float64Array,
  lo: number,
  hi: number,
  out: Uint16Array | Int32Array,
): void {
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, i++) {
      const zp = zps[c]!;
      const q = Math.fround(x[i]! / scales[c]!);
      if (q > lo - zp - 0.5 && q < hi - zp + 0.5) {
        out[i] = q + ROUND_MAGIC - ROUND_MAGIC + zp;
      } else {
        const v = q + ROUND_MAGIC - ROUND_MAGIC + zp;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
    }
  }
}

/** The array the kernels write: an unsigned view of the same bytes for 8/16-bit types. */
function kernelView(out: QuantizedArray): Uint8Array | Uint16Array | Int32Array {
  if (out instanceof Int8Array) return new Uint8Array(out.buffer, out.byteOffset, out.length);
  if (out instanceof Int16Array) return new Uint16Array(out.buffer, out.byteOffset, out.length);
  return out;
}

/** The quantized type that `arr` holds. */
export function quantTypeOf(arr: QuantizedArray): QuantType {
  if (arr instanceof Int8Array) return 'int8';
  if (arr instanceof Uint8Array) return 'uint8';
  if (arr instanceof Int16Array) return 'int16';
  if (arr instanceof Uint16Array) return 'uint16';
  if (arr instanceof Int32Array) return 'int32';
  throw new TypeError('not a quantized typed array');
}

/** The SIMD kernels when they apply: 8-bit output clipped to the type's full range. */
function wasmFor(out: QuantizedArray, lo: number, hi: number): WasmKernels | null {
  if (out instanceof Int8Array) return lo === -128 && hi === 127 ? wasmKernels() : null;
  if (out instanceof Uint8Array) return lo === 0 && hi === 255 ? wasmKernels() : null;
  return null;
}

function runKernel(
  x: Float32Array,
  start: number,
  end: number,
  scale: number,
  zp: number,
  lo: number,
  hi: number,
  view: Uint8Array | Uint16Array | Int32Array,
): void {
  if (view instanceof Uint8Array) quantizeRun8(x, start, end, scale, zp, lo, hi, view);
  else quantizeRunWide(x, start, end, scale, zp, lo, hi, view);
}

/** Quantizes with given per-channel parameters (scales: float32 values) into `out`. */
function quantizeChannels(
  x: Float32Array,
  l: ChannelLayout,
  scales: Float64Array,
  zps: Float64Array,
  lo: number,
  hi: number,
  out: QuantizedArray,
): void {
  const view = kernelView(out);
  const { outer, channels, inner } = l;
  const w = wasmFor(out, lo, hi);
  if (w !== null && view instanceof Uint8Array) {
    const unsigned = out instanceof Uint8Array;
    if (inner === 1 && channels > 1) {
      w.quantizeRows(x, outer, channels, scales, zps, unsigned, view);
      return;
    }
    if (inner >= wasmMinRun) {
      let i = 0;
      for (let o = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i += inner) w.quantizeRun(x, i, i + inner, scales[c]!, zps[c]!, unsigned, view);
      }
      return;
    }
  }
  if (inner === 1 && channels > 1) {
    if (view instanceof Uint8Array) quantizeRows8(x, outer, channels, scales, zps, lo, hi, view);
    else quantizeRowsWide(x, outer, channels, scales, zps, lo, hi, view);
    return;
  }
  let i = 0;
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++, i += inner) {
      runKernel(x, i, i + inner, scales[c]!, zps[c]!, lo, hi, view);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * ONNX QuantizeLinear with one scale: out[i] = clip(rint(float32(x[i] / scale)) + zeroPoint,
 * qmin, qmax). `scale` is taken as a float32 (Math.fround). To match ORT, pass the full range
 * of the output type as qmin/qmax (typeRange), whatever range the scale was computed for.
 */
export function quantizeLinear(
  x: Float32Array,
  scale: number,
  zeroPoint: number,
  qmin: number,
  qmax: number,
  out: QuantizedArray,
): QuantizedArray {
  if (out.length !== x.length) throw new RangeError(`output has ${out.length} elements, input ${x.length}`);
  const l: ChannelLayout = { axis: 0, outer: 1, channels: 1, inner: x.length };
  quantizeChannels(x, l, Float64Array.of(Math.fround(scale)), Float64Array.of(zeroPoint), qmin, qmax, out);
  return out;
}

/**
 * Per-tensor quantization of `x` to `type`, as ORT's quantize_data: the range is min/max of x
 * (with 0 included), scale and zero point from computeScaleZeroPoint, values clipped to the
 * type's full range.
 */
export function quantizePerTensor(
  x: Float32Array,
  type: QuantType,
  opts: QuantizeOptions,
  out?: QuantizedArray,
): PerTensorResult {
  const l: ChannelLayout = { axis: 0, outer: 1, channels: 1, inner: x.length };
  const data = outputFor(type, x.length, out);
  const fused = quantizeFused(x, l, type, opts, data);
  if (fused !== null) return { data, scale: fused.scales[0]!, zeroPoint: fused.zeroPoints[0]! };
  const { scales, zeroPoints } = perChannelParams(x, l, type, opts);
  const clip = typeRange(type);
  const scale = scales[0]!;
  const zeroPoint = zeroPoints[0]!;
  quantizeChannels(x, l, Float64Array.of(scale), Float64Array.of(zeroPoint), clip.qmin, clip.qmax, data);
  return { data, scale, zeroPoint };
}

/**
 * Per-channel quantization: one scale and zero point per index of `axis` (negative counts from
 * the end), each from that slice's range, as ORT's per-channel weight quantization
 * (quantize_weight_per_channel_impl / _calc_initializer_quant_params + quantize_onnx_initializer).
 * `x` is the row-major data of a tensor of `shape`. `out`, when given, receives the values
 * (e.g. a view into the buffer the model is written from) instead of a new array.
 */
export function quantizePerChannel(
  x: Float32Array,
  shape: readonly number[],
  axis: number,
  type: QuantType,
  opts: QuantizeOptions,
  out?: QuantizedArray,
): PerChannelResult {
  const l = channelLayout(shape, axis);
  checkLength(x, l, shape);
  const data = outputFor(type, x.length, out);
  const fused = quantizeFused(x, l, type, opts, data);
  if (fused !== null) return { data, ...fused };
  const { scales, zeroPoints } = perChannelParams(x, l, type, opts);
  const clip = typeRange(type);
  quantizeChannels(x, l, Float64Array.from(scales), Float64Array.from(zeroPoints), clip.qmin, clip.qmax, data);
  return { data, scales, zeroPoints };
}

/** `out` when given (checked), else a new array: lets a caller write straight into its own buffer. */
function outputFor(type: QuantType, length: number, out: QuantizedArray | undefined): QuantizedArray {
  if (out === undefined) return newQuantizedArray(type, length);
  if (quantTypeOf(out) !== type || out.length !== length) {
    throw new RangeError(`output must be ${length} elements of ${type}, got ${out.length} of ${quantTypeOf(out)}`);
  }
  return out;
}

/**
 * When each channel is one contiguous block (nothing before the axis) that fits the SIMD
 * kernels' staging area, finds its range and quantizes it while it is there: the tensor is read
 * from memory once instead of twice. Same arithmetic as the two passes; null where it does not apply.
 */
function quantizeFused(
  x: Float32Array,
  l: ChannelLayout,
  type: QuantType,
  opts: QuantizeOptions,
  data: QuantizedArray,
): { scales: Float32Array; zeroPoints: QuantizedArray } | null {
  const { outer, channels, inner } = l;
  if (outer !== 1 || (channels > 1 && inner === 1) || inner < wasmMinRun) return null;
  const clip = typeRange(type);
  const w = wasmFor(data, clip.qmin, clip.qmax);
  const view = kernelView(data);
  if (w === null || !(view instanceof Uint8Array) || !w.fitsStage(inner)) return null;
  const { qmin, qmax } = qRange(type, opts);
  const symmetricOnly = opts.symmetric && opts.minRealRange === undefined;
  const params = (rmin: number, rmax: number): { scale: number; zeroPoint: number } =>
    computeScaleZeroPoint(rmin, rmax, qmin, qmax, opts.symmetric, opts.minRealRange);
  const scales = new Float32Array(channels);
  const zeroPoints = newQuantizedArray(type, channels);
  const unsigned = data instanceof Uint8Array;
  for (let c = 0, i = 0; c < channels; c++, i += inner) {
    const p = w.quantizeBlockWithRange(x, i, i + inner, symmetricOnly, params, unsigned, view);
    scales[c] = p.scale;
    zeroPoints[c] = p.zeroPoint;
  }
  return { scales, zeroPoints };
}

/**
 * Per-tensor scale and zero point without quantizing (the range of all of x). The same as
 * computePerChannelParams(x, [1, x.length], 0, ...) — note that shape [x.length] with axis 0
 * would make every element its own channel.
 */
export function computePerTensorParams(
  x: Float32Array,
  type: QuantType,
  opts: QuantizeOptions,
): { scale: number; zeroPoint: number } {
  const l: ChannelLayout = { axis: 0, outer: 1, channels: 1, inner: x.length };
  const { scales, zeroPoints } = perChannelParams(x, l, type, opts);
  return { scale: scales[0]!, zeroPoint: zeroPoints[0]! };
}

/**
 * Scales and zero points per index of `axis` without quantizing: the range pass and
 * computeScaleZeroPoint. For callers that adjust the scales before quantizing (bias.ts).
 */
export function computePerChannelParams(
  x: Float32Array,
  shape: readonly number[],
  axis: number,
  type: QuantType,
  opts: QuantizeOptions,
): { scales: Float32Array; zeroPoints: QuantizedArray } {
  const l = channelLayout(shape, axis);
  checkLength(x, l, shape);
  return perChannelParams(x, l, type, opts);
}

function perChannelParams(
  x: Float32Array,
  l: ChannelLayout,
  type: QuantType,
  opts: QuantizeOptions,
): { scales: Float32Array; zeroPoints: QuantizedArray } {
  const { outer, channels, inner } = l;
  const { qmin, qmax } = qRange(type, opts);
  const scales = new Float32Array(channels);
  const zeroPoints = newQuantizedArray(type, channels);
  const w = wasmKernels();
  const rows = inner === 1 && channels > 1;
  const wasmBlocks = w !== null && !rows && inner >= wasmMinRun;
  if (opts.symmetric && opts.minRealRange === undefined) {
    // Symmetric needs only max |x|: rmin = -absmax, rmax = absmax gives the same scale.
    const absmax = new Float64Array(channels);
    if (rows) {
      if (w !== null) w.absMaxRows(x, outer, channels, absmax);
      else absMaxRows(x, outer, channels, absmax);
    } else if (wasmBlocks) {
      for (let o = 0, i = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i += inner) {
          const m = w.absMaxRun(x, i, i + inner);
          if (m > absmax[c]!) absmax[c] = m;
        }
      }
    } else {
      absMaxBlocks(x, outer, channels, inner, absmax);
    }
    for (let c = 0; c < channels; c++) {
      const p = computeScaleZeroPoint(-absmax[c]!, absmax[c]!, qmin, qmax, true);
      scales[c] = p.scale;
      zeroPoints[c] = p.zeroPoint;
    }
  } else {
    const mins = new Float64Array(channels);
    const maxs = new Float64Array(channels);
    if (rows) {
      if (w !== null) w.minMaxRows(x, outer, channels, mins, maxs);
      else minMaxRows(x, outer, channels, mins, maxs);
    } else if (wasmBlocks) {
      for (let o = 0, i = 0; o < outer; o++) {
        for (let c = 0; c < channels; c++, i += inner) {
          const [lo, hi] = w.minMaxRun(x, i, i + inner, mins[c]!, maxs[c]!);
          mins[c] = lo;
          maxs[c] = hi;
        }
      }
    } else {
      minMaxBlocks(x, outer, channels, inner, mins, maxs);
    }
    for (let c = 0; c < channels; c++) {
      const p = computeScaleZeroPoint(mins[c]!, maxs[c]!, qmin, qmax, opts.symmetric, opts.minRealRange);
      scales[c] = p.scale;
      zeroPoints[c] = p.zeroPoint;
    }
  }
  return { scales, zeroPoints };
}

/**
 * Per-channel QuantizeLinear with given parameters (e.g. weight scales enlarged by
 * adjustWeightScalesForBias), clipping to the full range of `out`'s type.
 */
export function quantizePerChannelWith(
  x: Float32Array,
  shape: readonly number[],
  axis: number,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  out: QuantizedArray,
): QuantizedArray {
  const l = channelLayout(shape, axis);
  checkLength(x, l, shape);
  if (out.length !== x.length) throw new RangeError(`output has ${out.length} elements, input ${x.length}`);
  if (scales.length !== l.channels || zeroPoints.length !== l.channels) {
    throw new RangeError(`expected ${l.channels} scales and zero points, got ${scales.length} and ${zeroPoints.length}`);
  }
  const s = new Float64Array(l.channels);
  const z = new Float64Array(l.channels);
  for (let c = 0; c < l.channels; c++) {
    s[c] = Math.fround(scales[c]!);
    z[c] = zeroPoints[c]!;
  }
  const clip = typeRange(quantTypeOf(out));
  quantizeChannels(x, l, s, z, clip.qmin, clip.qmax, out);
  return out;
}

/**
 * ONNX DequantizeLinear with one scale: float32(float32(q - zeroPoint) * scale). The inner
 * rounding matters only for int32 inputs beyond 2^24, as in ORT's kernel.
 */
export function dequantizeLinear(
  q: QuantizedArray,
  scale: number,
  zeroPoint: number,
  out: Float32Array = new Float32Array(q.length),
): Float32Array {
  const s = Math.fround(scale);
  for (let i = 0; i < q.length; i++) out[i] = Math.fround(q[i]! - zeroPoint) * s;
  return out;
}

/** Per-channel DequantizeLinear along `axis`. */
export function dequantizePerChannel(
  q: QuantizedArray,
  shape: readonly number[],
  axis: number,
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  out: Float32Array = new Float32Array(q.length),
): Float32Array {
  const l = channelLayout(shape, axis);
  checkLength(q, l, shape);
  let i = 0;
  for (let o = 0; o < l.outer; o++) {
    for (let c = 0; c < l.channels; c++) {
      const s = Math.fround(scales[c]!);
      const z = zeroPoints[c]!;
      for (let k = 0; k < l.inner; k++, i++) out[i] = Math.fround(q[i]! - z) * s;
    }
  }
  return out;
}
