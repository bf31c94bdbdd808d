// A float32 tensor as float16, with the two clamps float16 needs: magnitudes
// past ±10000 become ±10000, and nonzero magnitudes below the smallest
// float16 subnormal become that subnormal (zero stays zero, sign kept).
//
// Why 10000 and not 65504: the values past float16's range in real models are
// mask sentinels (the float32 minimum that GPT-2 and BERT exports add to
// masked attention scores). At -65504, a masked score of -65504 + s rounds to
// -inf for s below -16, and a row masked entirely (a padded query) turns into
// NaN through Softmax; at -10000 the sum stays finite while exp() of it is
// still 0. onnxconverter-common's converter, which transformers.js's fp16
// files come from, clamps at 10000 for the same reason.
import { makeTensor } from '../../onnx/build.js';
import { DataType } from '../../onnx/dtypes.js';
import { float32ArrayToHalf } from '../../onnx/float16.js';
import type { TensorProto } from '../../onnx/proto.js';
import { tensorShape, type TensorSource } from '../../onnx/tensor-data.js';
import { tensorToFloat32 } from '../../onnx/tensor-data.js';

export const HALF_CLAMP = 10000;
const TINY = 2 ** -24;

export interface HalfConversion {
  tensor: TensorProto;
  /** How many values were clamped (big, then tiny). */
  clampedBig: number;
  clampedTiny: number;
}

export function clampForHalf(values: Float32Array): { values: Float32Array; big: number; tiny: number } {
  let big = 0;
  let tiny = 0;
  let out: Float32Array | undefined;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const a = Math.abs(v);
    if (a > HALF_CLAMP && a !== Infinity) {
      (out ??= Float32Array.from(values))[i] = v > 0 ? HALF_CLAMP : -HALF_CLAMP;
      big++;
    } else if (a > 0 && a < TINY) {
      (out ??= Float32Array.from(values))[i] = v > 0 ? TINY : -TINY;
      tiny++;
    }
  }
  return { values: out ?? values, big, tiny };
}

export function toHalfTensor(t: TensorProto, source: TensorSource, name = t.name ?? ''): HalfConversion {
  const { values, big, tiny } = clampForHalf(tensorToFloat32(t, source));
  return { tensor: makeTensor(name, tensorShape(t), float32ArrayToHalf(values), DataType.FLOAT16), clampedBig: big, clampedTiny: tiny };
}
