// What a quantization run reports: the mode and why, what was quantized how,
// what stayed float and why, and which nodes fell back after ONNX Runtime
// refused them.
import type { ModelProto, NodeProto } from '../onnx/proto.js';
import { nodeLabel } from './graph-edit.js';

export type QuantizeMode = 'static' | 'dynamic' | 'weight-only' | 'low-bit';

export interface NodeGroup {
  reason: string;
  nodes: string[];
}

export interface QuantizeReport {
  mode: QuantizeMode;
  /** Why this mode (static with N samples, dynamic because no samples were given...). */
  modeReason: string;
  /** The weights' type when not int8 (low-bit modes: int4, uint4, int2, nf4, fp4). */
  weightFormat?: string;
  samples: number;
  opset: { from: number; to: number };
  perChannel: boolean;
  /** Nodes running integer kernels, by op type (QDQ-fused or dynamic). */
  quantized: Record<string, number>;
  /** Nodes with int8 weights but float math, by reason. */
  weightOnly: NodeGroup[];
  /** Nodes left in float, by reason. */
  float: NodeGroup[];
  /** Nodes put back in float after ONNX Runtime refused or broke them. */
  fallbacks: Array<{ node: string; reason: string }>;
  foldedBatchNorms: number;
  promotedConstants: number;
  notes: string[];
  /** what the user must be warned of (samples skipped for NaN/Inf values, say), shown on stderr */
  warnings?: string[];
  /** Activation ranges the auto calibration clipped (static mode, --method auto): observed and kept range, share of values cut. */
  clipping?: ClippedTensor[];
}

export interface ClippedTensor {
  tensor: string;
  observed: { min: number; max: number };
  range: { min: number; max: number };
  /** share (0..1) of the calibration values outside the kept range */
  share: number;
}

export interface QuantizeOutcome {
  proto: ModelProto;
  report: QuantizeReport;
  /** Original node names each quantized node stands for (created Q/DQ nodes point at the ops they serve). */
  origin: Map<string, string[]>;
}

export function groupNodes(groups: Map<string, NodeProto[]>): NodeGroup[] {
  return [...groups].map(([reason, nodes]) => ({ reason, nodes: nodes.map(nodeLabel) }));
}

export function addToGroup(groups: Map<string, NodeProto[]>, reason: string, node: NodeProto): void {
  const list = groups.get(reason) ?? [];
  list.push(node);
  groups.set(reason, list);
}
