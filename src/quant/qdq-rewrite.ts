// The one pass that creates every Q/DQ node from a plan: int8 weights behind
// DequantizeLinear (with `axis` when per channel), int32 biases, and a
// QuantizeLinear/DequantizeLinear pair after each activation tensor, right
// where it is produced. Graph outputs keep their names and float type.
import { makeNode, makeTensor } from '../onnx/build.js';
import type { Model } from '../onnx/model.js';
import type { NodeProto } from '../onnx/proto.js';
import { tensorShape } from '../onnx/tensor-data.js';
import { GraphEditor } from './graph-edit.js';
import { adjustWeightScalesForBias, quantizeBias } from './math/index.js';
import { scaleTensor, storableScales, storeWeight, storeWeightForLoad, weightScales as computeWeightScales } from './weight-dequantize.js';
import type { QuantPlan } from './plan.js';

export interface ActivationParams {
  scale: number;
  zeroPoint: number;
}

export interface RewriteOptions {
  reduceRange: boolean;
  /** FLOAT or FLOAT16: the type scales are stored in (the model's float type). */
  floatType: number;
  uniqueName: (base: string) => string;
  /** Weights that keep all 8 bits in integer kernels although reduceRange is on (a per-layer choice made by measurement). */
  fullRangeWeights?: Set<string>;
  /** Filled with each activation tensor's Q/DQ pair: the tensor the QuantizeLinear reads and the DequantizeLinear's output. */
  pairs?: Map<string, ActivationPair>;
}

export interface ActivationPair {
  /** the float tensor the QuantizeLinear reads (renamed when the tensor is a graph output) */
  source: string;
  /** the DequantizeLinear's output, which the consumers read */
  dequantized: string;
  scale: string;
  zeroPoint: string;
}

interface QuantizedWeight {
  dq: string;
  scales: Float32Array;
  axis: number | null;
}

/**
 * Rewrites the graph and returns, for every node it created or quantized,
 * the original node names it stands for (to put the right node back in float
 * if ONNX Runtime refuses one).
 */
export function rewriteQdq(model: Model, editor: GraphEditor, plan: QuantPlan, params: Map<string, ActivationParams>, opts: RewriteOptions): Map<string, string[]> {
  const origin = new Map<string, string[]>();
  const touched = [...plan.quantizedNodes, ...[...plan.weightOnlyNodes.values()].flat()];
  for (const n of touched) origin.set(n.name ?? '', [n.name ?? '']);
  const users = (tensor: string): string[] => touched
    .filter((n) => (n.input ?? []).includes(tensor) || (plan.quantizedNodes.has(n) && (n.output ?? []).includes(tensor))).map((n) => n.name ?? '');
  const { uniqueName, floatType } = opts;
  const head: NodeProto[] = [];
  const quantizedWeights = new Map<string, QuantizedWeight>();

  const paramsOf = (tensor: string): ActivationParams => {
    const p = params.get(tensor);
    if (!p) throw new Error(`no quantization parameters for '${tensor}'`);
    return p;
  };

  // Bias scale = input scale x weight scale; if that is too small for the
  // bias to fit int32, ORT enlarges the weight scale first. Do the same, so
  // weights are quantized once with their final scales.
  const weightScales = new Map<string, Float32Array>();
  // Each weight is read (and, for FLOAT16, converted) once for both passes.
  const weightData = new Map<string, Float32Array>();
  for (const [name, axis] of plan.weights) {
    const t = editor.initializer(name)!;
    const data = model.float32(t);
    weightData.set(name, data);
    const shape = tensorShape(t);
    // reduce_range guards ORT's integer kernels; a weight-only weight is
    // dequantized to float at load and keeps all 8 bits.
    const reduceRange = opts.reduceRange && plan.kernelWeights.has(name) && !opts.fullRangeWeights?.has(name);
    weightScales.set(name, computeWeightScales(data, shape, axis, reduceRange));
  }
  for (const b of plan.biases) {
    const scales = weightScales.get(b.weight);
    if (!scales) continue;
    const adjusted = adjustWeightScalesForBias(paramsOf(b.input).scale, scales, model.float32(editor.initializer(b.name)!), plan.weights.get(b.weight) !== null);
    if (adjusted.adjusted) weightScales.set(b.weight, adjusted.scales);
  }

  for (const [name, axis] of plan.weights) {
    const t = editor.initializer(name)!;
    if (!plan.kernelWeights.has(name)) {
      // Read only by weight-only nodes: dequantized once, when the session loads.
      const w = storeWeightForLoad(editor, name, weightData.get(name)!, tensorShape(t), axis, weightScales.get(name)!, floatType, uniqueName);
      head.push(...w.nodes);
      for (const n of w.nodes) origin.set(n.name ?? '', users(name));
      quantizedWeights.set(name, { dq: w.output, scales: weightScales.get(name)!, axis });
      continue;
    }
    const stored = storeWeight(editor, name, weightData.get(name)!, tensorShape(t), axis, weightScales.get(name)!, floatType, uniqueName);
    head.push(stored.node);
    origin.set(stored.node.name ?? '', users(name));
    quantizedWeights.set(name, { dq: stored.output, scales: stored.scales, axis });
  }

  for (const b of plan.biases) {
    const w = quantizedWeights.get(b.weight);
    if (!w) continue;
    const bias = model.float32(editor.initializer(b.name)!);
    const { data, scales } = quantizeBias(bias, paramsOf(b.input).scale, w.scales);
    const qName = uniqueName(`${b.name}_quantized`);
    const sName = uniqueName(`${b.name}_scale`);
    const zName = uniqueName(`${b.name}_zero_point`);
    const dq = uniqueName(`${b.name}_DequantizeLinear_Output`);
    const perChannel = scales.length > 1;
    editor.addInitializer(makeTensor(qName, [bias.length], data));
    // Bias scales stay float32 in FLOAT16 models only where the op allows; the product is kept exact in float32 here.
    editor.addInitializer(scaleTensor(sName, storableScales(scales, floatType), !perChannel, floatType));
    editor.addInitializer(perChannel ? makeTensor(zName, [scales.length], new Int32Array(scales.length)) : makeTensor(zName, [], Int32Array.of(0)));
    const biasNode = makeNode('DequantizeLinear', [qName, sName, zName], [dq], uniqueName(`${b.name}_DequantizeLinear`), perChannel ? { axis: 0 } : {});
    head.push(biasNode);
    origin.set(biasNode.name ?? '', [b.node.name ?? '']);
    GraphEditor.replaceInput(b.node, b.name, dq);
  }
  for (const node of [...plan.quantizedNodes, ...[...plan.weightOnlyNodes.values()].flat()]) {
    for (const [name, w] of quantizedWeights) if ((node.input ?? []).includes(name)) GraphEditor.replaceInput(node, name, w.dq);
  }

  // Activation Q/DQ pairs, placed right after the producer (graph inputs: first).
  const pairs = new Map<string, NodeProto[]>();
  const renamedOutputs = new Map<string, string>();
  for (const tensor of plan.activations.keys()) {
    const p = paramsOf(tensor);
    const sName = uniqueName(`${tensor}_scale`);
    const zName = uniqueName(`${tensor}_zero_point`);
    editor.addInitializer(scaleTensor(sName, storableScales(Float32Array.of(p.scale), floatType), true, floatType));
    editor.addInitializer(makeTensor(zName, [], Uint8Array.of(p.zeroPoint)));
    const isOutput = editor.isGraphOutput(tensor);
    // A graph output keeps its name: the producer writes a new name, and the DQ restores the old one.
    const source = isOutput ? uniqueName(`${tensor}_float`) : tensor;
    if (isOutput) renamedOutputs.set(tensor, source);
    const qOut = uniqueName(`${tensor}_QuantizeLinear_Output`);
    const dqOut = isOutput ? tensor : uniqueName(`${tensor}_DequantizeLinear_Output`);
    opts.pairs?.set(tensor, { source, dequantized: dqOut, scale: sName, zeroPoint: zName });
    pairs.set(tensor, [
      makeNode('QuantizeLinear', [source, sName, zName], [qOut], uniqueName(`${tensor}_QuantizeLinear`)),
      makeNode('DequantizeLinear', [qOut, sName, zName], [dqOut], uniqueName(`${tensor}_DequantizeLinear`)),
    ]);
    if (!isOutput) for (const consumer of editor.consumers(tensor)) GraphEditor.replaceInput(consumer, tensor, dqOut);
  }
  for (const [from, to] of renamedOutputs) {
    const producer = editor.producer(from);
    if (producer) producer.output = (producer.output ?? []).map((o) => (o === from ? to : o));
  }
  const ordered: NodeProto[] = [...head];
  const graphInputs = (editor.graph.input ?? []).map((v) => v.name ?? '');
  for (const name of graphInputs) ordered.push(...(pairs.get(name) ?? []));
  for (const node of editor.nodes) {
    ordered.push(node);
    for (const out of node.output ?? []) {
      const original = [...renamedOutputs].find(([, renamed]) => renamed === out)?.[0] ?? out;
      ordered.push(...(pairs.get(original) ?? []));
    }
  }
  editor.graph.node = ordered;
  for (const [tensor, nodes] of pairs) {
    const serves = users(tensor);
    for (const n of nodes) origin.set(n.name ?? '', serves);
  }

  // Float weights nothing reads any more are dropped (a weight also read by a float node stays).
  const used = new Set(ordered.flatMap((n) => n.input ?? []));
  for (const name of [...plan.weights.keys(), ...plan.biases.map((b) => b.name)]) if (!used.has(name)) editor.removeInitializer(name);
  return origin;
}
