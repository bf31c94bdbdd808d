// Which ops the float16 converter leaves in float32, and why.
//
// Measured on onnxruntime-node 1.30.0 (x86-64 CPU) with `npm run bench`
// (fp16-kernels, see kernel-probe.ts): a one-node float16 model per op, and
// whether ORT's optimized graph wraps the node in Casts. The CPU provider has
// float16 kernels only for data movement (Cast, Concat, Expand, Gather,
// GatherElements, Reshape, ScatterND, Slice, Transpose, Unsqueeze, Flatten,
// Identity), Clip, Round, Sign, IsNaN, LayerNormalization and
// RMSNormalization. Every arithmetic op, MatMul/Gemm/Conv, Softmax, the
// reductions and the activations run float32 behind Casts that ORT inserts.
// Range and Celu have no float16 type at all in the ONNX schema (session
// creation fails).
//
// Two block lists follow from that:
// - 'portable' (default): the model computes in float16 wherever the format
//   allows, as float16 models are meant for GPUs (transformers.js's fp16 is
//   chosen for WebGPU); only ops without a float16 type or kernel anywhere,
//   and Resize/Upsample (their scales are float32 only, and image sizes come
//   out of them), stay float32. On CPU, ORT adds its own Casts around the ops
//   listed in CPU_NO_FLOAT16.
// - 'cpu': also every op in CPU_NO_FLOAT16, so the casts are placed once per
//   value by the converter instead of per node by ORT, and the model runs the
//   same float32 math on CPU as the original with half the file size.

/** Ops with no float16 form in the ONNX schema or in ONNX Runtime, or whose float inputs are float32 only. */
export const NO_FLOAT16 = new Set([
  'Range', 'Celu', // schema: no float16 (measured: session refused)
  'Resize', 'Upsample', // scales are float32 only; image sizes computed from them stay exact
  'NonMaxSuppression', 'RoiAlign', // boxes in float32 (spec and ORT kernels)
  'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', // dtype attributes
  'DynamicQuantizeLinear', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', // float32-only integer kernels
  'STFT', 'DFT', 'MelWeightMatrix', 'HannWindow', 'HammingWindow', 'BlackmanWindow',
]);

/** Measured: ONNX Runtime 1.30's CPU provider has no float16 kernel (it inserts Casts around these). */
export const CPU_NO_FLOAT16 = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'PRelu', 'Relu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs',
  'Floor', 'Ceil', 'Sin', 'Cos', 'Softplus', 'Softsign', 'HardSwish', 'Elu', 'Selu', 'Mish', 'LeakyRelu', 'HardSigmoid', 'Gelu',
  'Softmax', 'LogSoftmax', 'CumSum', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2',
  'ReduceSumSquare', 'ReduceLogSumExp', 'Trilu', 'MatMul', 'Gemm', 'Einsum', 'Conv', 'ConvTranspose', 'MaxPool', 'AveragePool',
  'GlobalAveragePool', 'BatchNormalization', 'InstanceNormalization', 'GroupNormalization', 'Where', 'Equal', 'Less',
  'Greater', 'ArgMax', 'TopK', 'Tile', 'Pad', 'DepthToSpace', 'Resize', 'Upsample',
]);

/** Ops of ONNX Runtime's com.microsoft domain that take float16 (others in that domain stay float32). */
export const CONTRIB_FLOAT16 = new Set([
  'MatMulNBits', 'MatMulBnb4', 'GatherBlockQuantized', 'SkipLayerNormalization', 'SkipSimplifiedLayerNormalization',
  'SimplifiedLayerNormalization', 'FastGelu', 'BiasGelu', 'Gelu', 'QuickGelu', 'FusedMatMul', 'Attention', 'MultiHeadAttention',
  'GroupQueryAttention', 'RotaryEmbedding', 'BiasAdd', 'BiasSplitGelu',
]);

export type Fp16Target = 'portable' | 'cpu';

/** Why a node of this op type and domain stays float32 under `target`, or undefined when it may run float16. */
export function blockReason(op: string, domain: string, target: Fp16Target): string | undefined {
  if (domain === 'ai.onnx.ml') return 'ONNX-ML op (float32 only)';
  if (domain === 'com.microsoft') return CONTRIB_FLOAT16.has(op) ? undefined : 'contrib op without a float16 form';
  if (domain && domain !== 'ai.onnx') return `op of domain ${domain} (unknown float16 support)`;
  if (NO_FLOAT16.has(op)) return op === 'Resize' || op === 'Upsample' ? 'scales are float32; sizes stay exact' : 'no float16 form in ONNX or ONNX Runtime';
  if (target === 'cpu' && CPU_NO_FLOAT16.has(op)) return 'no float16 CPU kernel in ONNX Runtime 1.30 (measured)';
  return undefined;
}
