// Tensors whose small values matter: those that reach a Log, Sqrt,
// Reciprocal, a Pow, or a Div's denominator through ops that keep small
// values small (linear maps, sums, clips, reshapes). An 8-bit activation
// takes its step from the loudest calibration value, so quiet frames or bins
// round to zero and the Log turns them into -inf or a clamp (measured on an
// audio front end: 14.6% of mel bins off by more than 3 dB, and -inf
// outputs). Such tensors are never quantized; a weight op reading or writing
// one keeps int8 weights only.
import type { NodeProto } from '../onnx/proto.js';

const SINKS: Record<string, number[]> = { Log: [0], Sqrt: [0], Reciprocal: [0], Pow: [0], Div: [1] };
/** Ops through which small values stay small (and the backward walk goes on). */
const CARRIERS = new Set(['Relu', 'Clip', 'Abs', 'Add', 'Mul', 'Pow', 'MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Reshape', 'Transpose',
  'Squeeze', 'Unsqueeze', 'Flatten', 'Slice', 'Concat', 'ReduceSum', 'ReduceMean', 'Max', 'Min', 'Identity', 'Cast']);
const MAX_DEPTH = 8;

/**
 * `constantScalar` reads a one-value constant: a Pow whose exponent is a
 * constant of at least 1 (x², GELU's x³) shrinks small values further rather
 * than magnifying their error, so it is no sink. Measured on the GPT-2-style
 * fixture: its tanh-GELU's Pow(x, 3) kept every MLP input MatMul out of the
 * integer kernels.
 */
export function scaleSensitiveTensors(nodes: NodeProto[], isConstant: (name: string) => boolean,
  constantScalar?: (name: string) => number | undefined): Set<string> {
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const sensitive = new Set<string>();
  const visit = (tensor: string, depth: number): void => {
    if (!tensor || isConstant(tensor) || sensitive.has(tensor) || depth > MAX_DEPTH) return;
    sensitive.add(tensor);
    const p = producer.get(tensor);
    if (!p || p.domain || !CARRIERS.has(p.opType ?? '')) return;
    // Through a weight op only along its data input; elsewhere along every input.
    const inputs = ['MatMul', 'Gemm', 'Conv', 'ConvTranspose'].includes(p.opType ?? '') ? [p.input?.[0] ?? ''] : p.input ?? [];
    for (const i of inputs) visit(i, depth + 1);
  };
  for (const n of nodes) {
    if (n.opType === 'Pow' && !n.domain && (constantScalar?.(n.input?.[1] ?? '') ?? 0) >= 1) continue;
    const slots = n.domain ? undefined : SINKS[n.opType ?? ''];
    for (const s of slots ?? []) visit(n.input?.[s] ?? '', 0);
  }
  return sensitive;
}
