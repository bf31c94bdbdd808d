// The layers a per-model decision is made for ("units"): each weight op
// (Conv, ConvTranspose, Gemm, MatMul) and each op with quantization
// parameters of its own (Add, Mul, Concat, pools, Sigmoid, ...) that the
// static plan would quantize. A Relu/Clip that ORT fuses into the op before
// it belongs to that op's unit; ops that only pass their input's parameters
// on (MaxPool, Reshape, ...) belong to no unit: they follow their input.
import type { NodeProto } from '../onnx/proto.js';
import type { QuantPlan } from '../quant/plan.js';
import { WEIGHT_OPS } from '../quant/rules.js';

export interface Unit {
  /** the head node's name (what --exclude and the per-layer choices name) */
  name: string;
  op: string;
  /** the weight initializer of a weight op */
  weight?: string;
  /** the head's activation inputs (graph tensors) */
  inputs: string[];
  /** the unit's last output: the fused Relu/Clip's output when there is one, else the head's */
  output: string;
  /** every node of the unit: the head and a fused Relu/Clip */
  nodes: string[];
}

const PASS_THROUGH = new Set(['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Resize', 'Slice', 'Relu', 'Clip']);

/** The units of a static plan, in graph order. */
export function unitsOf(plan: QuantPlan, nodes: readonly NodeProto[], isConstant: (name: string) => boolean): Unit[] {
  const units: Unit[] = [];
  const consumers = new Map<string, NodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  // The plan holds the rewritten graph's nodes; `nodes` may be a copy: matched by name.
  const quantized = new Set([...plan.quantizedNodes].map((n) => n.name ?? ''));
  for (const n of nodes) {
    const op = n.opType ?? '';
    if (!quantized.has(n.name ?? '') || PASS_THROUGH.has(op)) continue;
    const head = n.output?.[0] ?? '';
    let output = head;
    const unitNodes = [n.name ?? ''];
    // A Relu/Clip whose range the head's output takes (ORT drops it in the fused kernel).
    const source = plan.activations.get(head);
    if (source?.kind === 'rangeOf') {
      const act = (consumers.get(head) ?? []).find((c) => c.output?.[0] === source.tensor);
      if (act) {
        output = source.tensor;
        unitNodes.push(act.name ?? '');
      }
    }
    const weight = WEIGHT_OPS.has(op) ? n.input?.[1] : undefined;
    units.push({ name: n.name ?? '', op, ...(weight ? { weight } : {}), inputs: (n.input ?? []).filter((i) => i && !isConstant(i)), output, nodes: unitNodes });
  }
  return units;
}
