// One weight stored as int8 behind a DequantizeLinear: the scales (per
// channel along `axis`, or per tensor when axis is null), the int8 values,
// and the initializers and node that hold them. Static QDQ, dynamic and
// weight-only quantization all store weights this way.
import { makeNode, makeTensor } from '../onnx/build.js';
import { computedGroup } from '../onnx/computed-tensor.js';
import { DataType } from '../onnx/dtypes.js';
import { float32ArrayToHalf, float32ToHalfBits, halfBitsToFloat32 } from '../onnx/float16.js';
import { toLong, type NodeProto, type TensorProto } from '../onnx/proto.js';
import type { GraphEditor } from './graph-edit.js';
import { computePerChannelParams, quantizePerChannel, quantizePerChannelWith, type QuantizedArray } from './math/index.js';

/** Symmetric int8 scales of a weight (one per index of `axis`, or one). */
export function weightScales(data: Float32Array, shape: number[], axis: number | null, reduceRange: boolean): Float32Array {
  const opts = { symmetric: true, reduceRange };
  return axis === null ? computePerChannelParams(data, [1, data.length], 0, 'int8', opts).scales
    : computePerChannelParams(data, shape, axis, 'int8', opts).scales;
}

/** A scale as the model stores it: FLOAT16 models round it to half first, so math and file agree. */
export function storableScales(scales: Float32Array, floatType: number): Float32Array {
  if (floatType !== DataType.FLOAT16) return scales;
  return scales.map((s) => halfBitsToFloat32(float32ToHalfBits(s)));
}

export function scaleTensor(name: string, scales: Float32Array, scalar: boolean, floatType: number): TensorProto {
  const dims = scalar ? [] : [scales.length];
  return floatType === DataType.FLOAT16 ? makeTensor(name, dims, float32ArrayToHalf(scales), DataType.FLOAT16) : makeTensor(name, dims, scales);
}

/** int8 values of `data` with the given symmetric scales (zero point 0), per channel along `axis` or per tensor. */
function quantizeSymmetric(data: Float32Array, shape: number[], axis: number | null, scales: Float32Array): Int8Array {
  const q = new Int8Array(data.length);
  const zeros = new Int8Array(scales.length);
  if (axis === null) quantizePerChannelWith(data, [1, data.length], 0, scales, zeros, q as QuantizedArray);
  else quantizePerChannelWith(data, shape, axis, scales, zeros, q as QuantizedArray);
  return q;
}

export interface StoredWeight {
  /** The int8 initializer, its scale and zero point initializers. */
  quantized: string;
  scale: string;
  zeroPoint: string;
  /** The scales as stored (after FLOAT16 rounding). */
  scales: Float32Array;
  /** The DequantizeLinear node (not yet placed in a graph) and its float output. */
  node: NodeProto;
  output: string;
}

/**
 * Quantizes `data` with `scales` and adds the int8, scale and zero-point
 * initializers to `editor`'s graph. The DequantizeLinear node is returned for
 * the caller to place.
 */
export function storeWeight(editor: GraphEditor, base: string, data: Float32Array, shape: number[], axis: number | null,
  scalesIn: Float32Array, floatType: number, uniqueName: (base: string) => string): StoredWeight {
  const scales = storableScales(scalesIn, floatType);
  const zeros = new Int8Array(scales.length);
  const q = quantizeSymmetric(data, shape, axis, scales);
  const quantized = uniqueName(`${base}_quantized`);
  const scale = uniqueName(`${base}_scale`);
  const zeroPoint = uniqueName(`${base}_zero_point`);
  const output = uniqueName(`${base}_DequantizeLinear_Output`);
  editor.addInitializer(makeTensor(quantized, shape, q));
  editor.addInitializer(scaleTensor(scale, scales, axis === null, floatType));
  editor.addInitializer(axis === null ? makeTensor(zeroPoint, [], Int8Array.of(0)) : makeTensor(zeroPoint, [zeros.length], zeros));
  const node = makeNode('DequantizeLinear', [quantized, scale, zeroPoint], [output], uniqueName(`${base}_DequantizeLinear`), axis === null ? {} : { axis });
  return { quantized, scale, zeroPoint, scales, node, output };
}

export interface LoadTimeWeight {
  /** Cast (int8 → float) and Mul (× scale) nodes, for the caller to place. */
  nodes: NodeProto[];
  output: string;
  quantized: string;
}

/**
 * A weight-only weight: int8 values times a per-channel scale, written as
 * Cast + Mul rather than DequantizeLinear. ONNX Runtime constant-folds Cast
 * and Mul of initializers when the session loads, so the model runs exactly
 * the float op on dequantized weights; it never folds DequantizeLinear (it
 * keeps QDQ for fusion), which measured 1.35x FP32 latency on a Conv-heavy
 * model (`npm run bench` dynamic-latency). Needs no particular opset.
 */
export function storeWeightForLoad(editor: GraphEditor, base: string, data: Float32Array, shape: number[], axis: number | null,
  scalesIn: Float32Array, floatType: number, uniqueName: (base: string) => string): LoadTimeWeight {
  const scales = storableScales(scalesIn, floatType);
  const q = quantizeSymmetric(data, shape, axis, scales);
  const quantized = uniqueName(`${base}_quantized`);
  const scale = uniqueName(`${base}_scale`);
  const cast = uniqueName(`${base}_cast`);
  const output = uniqueName(`${base}_dequantized`);
  editor.addInitializer(makeTensor(quantized, shape, q));
  // The scale broadcasts along `axis`: shape [1, .., C, .., 1].
  const scaleDims = axis === null ? [] : shape.map((d, i) => (i === axis ? d : 1));
  const scaleTensorProto = scaleTensor(scale, scales, axis === null, floatType);
  scaleTensorProto.dims = scaleDims.map((d) => toLong(d));
  editor.addInitializer(scaleTensorProto);
  const nodes = [
    makeNode('Cast', [quantized], [cast], uniqueName(`${base}_Cast`), { to: floatType }),
    makeNode('Mul', [cast, scale], [output], uniqueName(`${base}_Scale`)),
  ];
  return { nodes, output, quantized };
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function scaleBytes(scales: Float32Array, floatType: number): Uint8Array {
  return bytesOf(floatType === DataType.FLOAT16 ? float32ArrayToHalf(scales) : scales);
}

/** The int8 weight and its scales (shaped `scaleDims`) as one computed group added to the graph. */
function addLazyInt8(editor: GraphEditor, quantized: string, scale: string, scaleDims: number[], read: () => Float32Array, shape: number[],
  axis: number | null, reduceRange: boolean, floatType: number): void {
  const tensors = computedGroup([
    { name: quantized, dims: shape, dataType: DataType.INT8 },
    { name: scale, dims: scaleDims, dataType: floatType },
  ], () => {
    const data = read();
    const scales = storableScales(weightScales(data, shape, axis, reduceRange), floatType);
    return [bytesOf(quantizeSymmetric(data, shape, axis, scales)), scaleBytes(scales, floatType)];
  });
  for (const t of tensors) editor.addInitializer(t);
}

/**
 * storeWeight's int8 weight and scales as tensors computed when the model is
 * saved (`read` returns the float values then, and nothing holds them after):
 * a model of many GB streams through one weight at a time instead of being
 * held quantized in memory. The zero point (zeros) is stored at once.
 */
export function storeWeightLazily(editor: GraphEditor, base: string, read: () => Float32Array, shape: number[], axis: number | null,
  reduceRange: boolean, floatType: number, uniqueName: (base: string) => string): Omit<StoredWeight, 'scales'> {
  const quantized = uniqueName(`${base}_quantized`);
  const scale = uniqueName(`${base}_scale`);
  const zeroPoint = uniqueName(`${base}_zero_point`);
  const output = uniqueName(`${base}_DequantizeLinear_Output`);
  const channels = axis === null ? 1 : shape[axis]!;
  addLazyInt8(editor, quantized, scale, axis === null ? [] : [channels], read, shape, axis, reduceRange, floatType);
  editor.addInitializer(axis === null ? makeTensor(zeroPoint, [], Int8Array.of(0)) : makeTensor(zeroPoint, [channels], new Int8Array(channels)));
  const node = makeNode('DequantizeLinear', [quantized, scale, zeroPoint], [output], uniqueName(`${base}_DequantizeLinear`), axis === null ? {} : { axis });
  return { quantized, scale, zeroPoint, node, output };
}

/** storeWeightForLoad (int8 → Cast → Mul by scale) with the int8 values and scales computed when the model is saved. */
export function storeWeightForLoadLazily(editor: GraphEditor, base: string, read: () => Float32Array, shape: number[], axis: number | null,
  floatType: number, uniqueName: (base: string) => string): LoadTimeWeight {
  const quantized = uniqueName(`${base}_quantized`);
  const scale = uniqueName(`${base}_scale`);
  const cast = uniqueName(`${base}_cast`);
  const output = uniqueName(`${base}_dequantized`);
  // The scale broadcasts along `axis`: shape [1, .., C, .., 1].
  addLazyInt8(editor, quantized, scale, axis === null ? [] : shape.map((d, i) => (i === axis ? d : 1)), read, shape, axis, false, floatType);
  const nodes = [
    makeNode('Cast', [quantized], [cast], uniqueName(`${base}_Cast`), { to: floatType }),
    makeNode('Mul', [cast, scale], [output], uniqueName(`${base}_Scale`)),
  ];
  return { nodes, output, quantized };
}

/**
 * A weight stored as uint8 with a zero point per channel (asymmetric, as
 * onnxruntime.quantization writes QUInt8 weights), for integer kernels that
 * read it directly (DynamicQuantizeMatMul's B): the values, scales and zero
 * points computed when the model is saved, like storeWeightLazily's.
 */
export function storeUint8WeightLazily(editor: GraphEditor, base: string, read: () => Float32Array, shape: number[], axis: number,
  reduceRange: boolean, uniqueName: (base: string) => string): { quantized: string; scale: string; zeroPoint: string } {
  const quantized = uniqueName(`${base}_quantized`);
  const scale = uniqueName(`${base}_scale`);
  const zeroPoint = uniqueName(`${base}_zero_point`);
  const channels = shape[axis]!;
  const tensors = computedGroup([
    { name: quantized, dims: shape, dataType: DataType.UINT8 },
    { name: scale, dims: [channels], dataType: DataType.FLOAT },
    { name: zeroPoint, dims: [channels], dataType: DataType.UINT8 },
  ], () => {
    const q = quantizePerChannel(read(), shape, axis, 'uint8', { symmetric: false, reduceRange });
    return [bytesOf(q.data), bytesOf(q.scales), bytesOf(q.zeroPoints)];
  });
  for (const t of tensors) editor.addInitializer(t);
  return { quantized, scale, zeroPoint };
}
