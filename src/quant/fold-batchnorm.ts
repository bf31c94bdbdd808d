// Folds a BatchNormalization into the Conv before it (inference: BN is a
// per-channel affine map), so the quantized Conv carries the folded weights
// and no float BN runs between integer kernels. A Conv whose output feeds
// anything besides the BN, or whose parameters are not constants, is left.
import { DataType } from '../onnx/dtypes.js';
import { makeTensor } from '../onnx/build.js';
import { float32ArrayToHalf } from '../onnx/float16.js';
import type { Model } from '../onnx/model.js';
import { tensorShape } from '../onnx/tensor-data.js';
import { allGraphs } from '../onnx/graph-walk.js';
import { GraphEditor, attrFloat, attrInt } from './graph-edit.js';

export function foldBatchNorms(model: Model, editor: GraphEditor, uniqueName: (base: string) => string): string[] {
  const folded: string[] = [];
  const replaced = new Set<string>();
  for (const bn of [...editor.nodes]) {
    if (bn.opType !== 'BatchNormalization' || bn.domain || (bn.output ?? []).filter(Boolean).length !== 1) continue;
    if (attrInt(bn, 'training_mode', 0) !== 0) continue;
    const x = bn.input![0]!;
    const conv = editor.producer(x);
    if (!conv || conv.opType !== 'Conv' || conv.domain) continue;
    if (editor.consumers(x).length !== 1 || editor.isGraphOutput(x)) continue;
    const w = editor.initializer(conv.input![1]!);
    const params = bn.input!.slice(1, 5).map((n) => editor.initializer(n));
    const b = conv.input![2] ? editor.initializer(conv.input![2]) : undefined;
    if (!w || params.some((p) => !p) || (conv.input![2] && !b)) continue;
    const type = w.dataType!;
    if (type !== DataType.FLOAT && type !== DataType.FLOAT16) continue;

    const [scale, shift, mean, variance] = params.map((p) => model.float32(p!)) as Float32Array[];
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const shape = tensorShape(w);
    const channels = shape[0]!;
    if ([scale, shift, mean, variance].some((a) => a!.length !== channels)) continue;
    const perChannel = w ? model.float32(w).length / channels : 0;
    const weights = model.float32(w);
    const newW = new Float32Array(weights.length);
    const newB = new Float32Array(channels);
    const oldB = b ? model.float32(b) : new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      // In float64, stored as float32: the same arithmetic onnxruntime's and
      // PyTorch's folding passes do.
      const s = scale![c]! / Math.sqrt(variance![c]! + eps);
      for (let i = c * perChannel; i < (c + 1) * perChannel; i++) newW[i] = weights[i]! * s;
      newB[c] = (oldB[c]! - mean![c]!) * s + shift![c]!;
    }
    const wName = uniqueName(`${conv.input![1]}_bnfolded`);
    const bName = uniqueName(`${conv.name || 'conv'}_bias_bnfolded`);
    const encode = (name: string, dims: number[], data: Float32Array) =>
      type === DataType.FLOAT16 ? makeTensor(name, dims, float32ArrayToHalf(data), DataType.FLOAT16) : makeTensor(name, dims, data);
    editor.addInitializer(encode(wName, shape, newW));
    editor.addInitializer(encode(bName, [channels], newB));
    for (const n of [...conv.input!.slice(1), ...bn.input!.slice(1)]) if (n) replaced.add(n);
    conv.input = [conv.input![0]!, wName, bName];
    conv.output = [bn.output![0]!];
    editor.graph.node = editor.nodes.filter((n) => n !== bn);
    folded.push(bn.name || bn.output![0]!);
  }
  // Drop the float parameters the folds replaced, unless something else (a
  // subgraph too) still reads them.
  const used = new Set(allGraphs({ graph: editor.graph }).flatMap((s) => (s.graph.node ?? []).flatMap((n) => n.input ?? [])));
  for (const v of editor.graph.output ?? []) used.add(v.name ?? '');
  for (const name of replaced) if (!used.has(name)) editor.removeInitializer(name);
  return folded;
}

/**
 * Per-channel values of a constant that broadcasts over a Conv's NCHW output
 * along channels only (shape [], [1], [C], [C,1,1] or [1,C,1,1]); undefined otherwise.
 */
function channelConstant(model: Model, editor: GraphEditor, name: string, channels: number, rank: number): Float32Array | undefined {
  const t = editor.initializer(name);
  if (!t || (t.dataType !== DataType.FLOAT && t.dataType !== DataType.FLOAT16)) return undefined;
  const shape = tensorShape(t);
  const values = model.float32(t);
  if (values.length === 1) return new Float32Array(channels).fill(values[0]!);
  if (values.length !== channels) return undefined;
  // The channel axis must line up with axis 1 of the output under broadcasting.
  const aligned = shape.length <= rank && shape[shape.length - (rank - 1)] === channels && shape.slice(shape.length - (rank - 2)).every((d) => d === 1);
  return aligned ? values : undefined;
}

/**
 * Folds a Mul and/or Add by per-channel (or scalar) constants that follow a
 * Conv into its weight and bias: Paddle and hand-edited graphs spell
 * BatchNorm and scalings out this way, and left as they are they become
 * float islands between integer Convs.
 */
export function foldConvAffine(model: Model, editor: GraphEditor, uniqueName: (base: string) => string): string[] {
  const folded: string[] = [];
  const replaced = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const op of [...editor.nodes]) {
      if ((op.opType !== 'Mul' && op.opType !== 'Add') || op.domain) continue;
      const [a, b] = [op.input?.[0] ?? '', op.input?.[1] ?? ''];
      const x = editor.initializers.has(a) ? b : a;
      const c = x === a ? b : a;
      const conv = editor.producer(x);
      if (!conv || conv.opType !== 'Conv' || conv.domain || editor.consumers(x).length !== 1 || editor.isGraphOutput(x)) continue;
      const w = editor.initializer(conv.input?.[1] ?? '');
      const oldBias = conv.input?.[2] ? editor.initializer(conv.input[2]) : undefined;
      if (!w || (conv.input?.[2] && !oldBias) || (w.dataType !== DataType.FLOAT && w.dataType !== DataType.FLOAT16)) continue;
      const shape = tensorShape(w);
      const channels = shape[0]!;
      const values = channelConstant(model, editor, c, channels, shape.length);
      if (!values) continue;
      const weights = model.float32(w);
      const bias = oldBias ? model.float32(oldBias) : new Float32Array(channels);
      const newW = new Float32Array(weights);
      const newB = new Float32Array(bias);
      const per = weights.length / channels;
      for (let ch = 0; ch < channels; ch++) {
        if (op.opType === 'Mul') {
          for (let i = ch * per; i < (ch + 1) * per; i++) newW[i] = weights[i]! * values[ch]!;
          newB[ch] = bias[ch]! * values[ch]!;
        } else newB[ch] = bias[ch]! + values[ch]!;
      }
      const encode = (name: string, dims: number[], data: Float32Array) =>
        w.dataType === DataType.FLOAT16 ? makeTensor(name, dims, float32ArrayToHalf(data), DataType.FLOAT16) : makeTensor(name, dims, data);
      const wName = op.opType === 'Mul' ? uniqueName(`${conv.input![1]}_scaled`) : conv.input![1]!;
      if (op.opType === 'Mul') editor.addInitializer(encode(wName, shape, newW));
      const bName = uniqueName(`${conv.name || 'conv'}_bias_folded`);
      editor.addInitializer(encode(bName, [channels], newB));
      for (const n of [conv.input![1]!, conv.input![2] ?? '', c]) if (n) replaced.add(n);
      conv.input = [conv.input![0]!, wName, bName];
      conv.output = [op.output![0]!];
      editor.graph.node = editor.nodes.filter((n) => n !== op);
      folded.push(op.name || op.output![0]!);
      changed = true;
    }
  }
  const used = new Set(allGraphs({ graph: editor.graph }).flatMap((s) => (s.graph.node ?? []).flatMap((n) => n.input ?? [])));
  for (const v of editor.graph.output ?? []) used.add(v.name ?? '');
  for (const name of replaced) if (!used.has(name) && editor.initializers.has(name)) editor.removeInitializer(name);
  return folded;
}
