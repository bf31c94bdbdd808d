// Planning: run the rule table over the main graph, in graph order, and
// collect what gets quantized: weights (with their per-channel axis),
// biases, activation tensors and where each takes its scale from; and why
// each node left in float stays float.
import type { GraphProto, NodeProto } from '../onnx/proto.js';
import { tensorShape, tensorToNumbers } from '../onnx/tensor-data.js';
import type { GraphEditor } from './graph-edit.js';
import { RECURRENT_OPS, RULES, type Marks, type RuleContext } from './rules.js';
import { scaleSensitiveTensors } from './scale-sensitive.js';

export type ParamSource =
  | { kind: 'own' }
  | { kind: 'shared'; from: string }
  | { kind: 'rangeOf'; tensor: string }
  | { kind: 'fixed'; min: number; max: number };

export interface BiasPlan {
  node: NodeProto;
  name: string;
  input: string;
  weight: string;
}

export interface QuantPlan {
  /** Weight initializer → per-channel axis, or null for per-tensor. */
  weights: Map<string, number | null>;
  biases: BiasPlan[];
  /** Activation tensors to get a QuantizeLinear/DequantizeLinear pair, with where their parameters come from. */
  activations: Map<string, ParamSource>;
  quantizedNodes: Set<NodeProto>;
  /** Nodes whose weight alone is stored as int8 (activations float), grouped by reason. */
  weightOnlyNodes: Map<string, NodeProto[]>;
  /** Weights read by at least one fully quantized node (integer kernels: reduce_range applies). */
  kernelWeights: Set<string>;
  /** Nodes left in float, grouped by reason. */
  floatNodes: Map<string, NodeProto[]>;
  notes: string[];
}

export interface PlanOptions {
  perTensor: boolean;
  /** Node names or op types to keep in float. */
  exclude: Set<string>;
  /** Element counts of activation tensors (first calibration sample), for the cost rule. */
  elementCounts?: Map<string, number>;
  /** Multiply-adds per activation element below which a weight op is weight-only (default 16). */
  minIntensity?: number;
  /** MatMuls of two activations quantized too (see rules.ts). */
  activationMatMuls?: boolean;
}

export const DEFAULT_MIN_INTENSITY = 16;

export function planQuantization(editor: GraphEditor, opts: PlanOptions): QuantPlan {
  const graph: GraphProto = editor.graph;
  const plan: QuantPlan = { weights: new Map(), biases: [], activations: new Map(), quantizedNodes: new Set(), weightOnlyNodes: new Map(),
    kernelWeights: new Set(), floatNodes: new Map(), notes: [] };
  const weightOnly = new Set<NodeProto>();
  // Tensors in and out of recurrent ops stay float: quantizing an LSTM's state
  // path has been seen to destroy such models (frame F1 0.97 -> 0.03).
  const recurrent = new Set<string>();
  const sensitive = scaleSensitiveTensors(editor.nodes, (name) => editor.initializers.has(name));
  for (const n of editor.nodes) {
    if (RECURRENT_OPS.has(n.opType ?? '') && !n.domain) for (const t of [...(n.input ?? []), ...(n.output ?? [])]) if (t) recurrent.add(t);
  }
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, number>();
  for (const n of editor.nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  }
  for (const v of graph.output ?? []) consumers.set(v.name ?? '', (consumers.get(v.name ?? '') ?? 0) + 1);
  const ranks = new Map<string, number>();
  for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) {
    const shape = v.type?.tensorType?.shape;
    if (shape) ranks.set(v.name ?? '', (shape.dim ?? []).length);
  }

  const ctx: RuleContext = {
    isConstant: (name) => editor.initializers.has(name),
    rankOf: (name) => {
      const t = editor.initializer(name);
      return t ? tensorShape(t).length : ranks.get(name);
    },
    isQuantized: (name) => plan.activations.has(name),
    quantizedProducerOp: (name) => {
      const p = producer.get(name);
      return p && plan.quantizedNodes.has(p) ? p.opType ?? undefined : undefined;
    },
    elementCount: (name) => opts.elementCounts?.get(name),
    constantSize: (name) => tensorShape(editor.initializer(name)!).reduce((a, b) => a * b, 1),
    constantDim: (name, axis) => tensorShape(editor.initializer(name)!)[axis],
    isRecurrent: (name) => recurrent.has(name) && !editor.initializers.has(name),
    minIntensity: opts.minIntensity ?? DEFAULT_MIN_INTENSITY,
    activationMatMuls: opts.activationMatMuls,
    scalarValue: (name) => {
      const t = editor.initializer(name);
      if (!t) return undefined;
      try {
        const values = tensorToNumbers(t, { file: '' });
        return values.length === 1 ? values[0] : undefined;
      } catch {
        return undefined;
      }
    },
    consumerCount: (name) => consumers.get(name) ?? 0,
  };

  const leaveFloat = (node: NodeProto, reason: string): void => {
    const list = plan.floatNodes.get(reason) ?? [];
    list.push(node);
    plan.floatNodes.set(reason, list);
  };
  const markActivation = (name: string, source: ParamSource): void => {
    const known = plan.activations.get(name);
    // A tensor's own range wins over a shared one only if nothing was decided yet.
    if (!known || (known.kind === 'own' && source.kind === 'rangeOf')) plan.activations.set(name, source);
  };

  for (const node of editor.nodes) {
    const op = node.opType ?? '';
    if (node.domain && node.domain !== 'ai.onnx') {
      leaveFloat(node, `custom domain ${node.domain}`);
      continue;
    }
    if (opts.exclude.has(node.name ?? '') || opts.exclude.has(op)) {
      leaveFloat(node, 'excluded by --exclude');
      continue;
    }
    const rule = RULES[op];
    if (!rule) {
      leaveFloat(node, 'no integer kernel in ONNX Runtime for this op');
      continue;
    }
    let marks: Marks | string = rule(node, ctx);
    if (typeof marks === 'string') {
      leaveFloat(node, `${op}: ${marks}`);
      continue;
    }
    const touches = [...marks.activations, ...marks.outputs, ...(marks.shares ? [marks.shares.output] : [])];
    if (!marks.weightOnly && touches.some((t) => sensitive.has(t))) {
      const reason = 'its data reaches a Log/Sqrt/Pow/Div, where 8-bit steps would zero small values';
      if (!marks.weight) {
        leaveFloat(node, `${op}: ${reason}`);
        continue;
      }
      marks = { activations: [], outputs: [], weight: marks.weight, weightOnly: reason };
    }
    if (marks.weightOnly) {
      const list = plan.weightOnlyNodes.get(marks.weightOnly) ?? [];
      list.push(node);
      plan.weightOnlyNodes.set(marks.weightOnly, list);
      weightOnly.add(node);
    } else {
      plan.quantizedNodes.add(node);
      if (marks.weight) plan.kernelWeights.add(marks.weight.name);
    }
    if (marks.fixedOutput) plan.activations.set(marks.fixedOutput.name, { kind: 'fixed', min: marks.fixedOutput.min, max: marks.fixedOutput.max });
    for (const a of marks.activations) markActivation(a, { kind: 'own' });
    for (const o of marks.outputs) markActivation(o, { kind: 'own' });
    if (marks.shares) plan.activations.set(marks.shares.output, { kind: 'shared', from: marks.shares.input });
    if (marks.rangeFromOutput) plan.activations.set(marks.rangeFromOutput.input, { kind: 'rangeOf', tensor: marks.rangeFromOutput.output });
    if (marks.weight) {
      const axis = opts.perTensor ? null : marks.weight.axis;
      const known = plan.weights.get(marks.weight.name);
      if (known !== undefined && known !== axis) {
        plan.weights.set(marks.weight.name, null);
        plan.notes.push(`weight '${marks.weight.name}' is read along different axes by its consumers: quantized per tensor`);
      } else plan.weights.set(marks.weight.name, axis);
    }
    if (marks.bias) plan.biases.push({ node, ...marks.bias });
  }
  return plan;
}
