// The element type of every value of a model (all graphs), without full shape
// inference: declared types first (inputs, initializers, value_info, outputs),
// then node by node from each op's typing rule. What the float16 converter
// needs to know which values are float. A value no rule covers is absent.
import { DataType } from './dtypes.js';
import { allGraphs } from './graph-walk.js';
import type { AttributeProto, ModelProto, NodeProto } from './proto.js';

const BOOL_OUT = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Not', 'IsNaN', 'IsInf']);
const INT64_OUT = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression']);
/** Output types taken from an input other than the first. */
const FROM_INPUT: Record<string, number> = { Where: 1, DequantizeLinear: 1, Expand: 0, MatMulInteger: -1, DynamicQuantizeMatMul: 0 };

function attr(node: NodeProto, name: string): AttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function attrInt(node: NodeProto, name: string): number | undefined {
  const a = attr(node, name);
  return a?.i == null ? undefined : Number(a.i);
}

/** Output types of one node given its input types (undefined entries: unknown). */
function outputTypes(node: NodeProto, inputType: (i: number) => number | undefined): Array<number | undefined> {
  const op = node.opType ?? '';
  const n = (node.output ?? []).length;
  const all = (t: number | undefined) => new Array<number | undefined>(n).fill(t);
  if (node.domain === 'ai.onnx.ml') return all(undefined);
  if (BOOL_OUT.has(op)) return all(DataType.BOOL);
  if (INT64_OUT.has(op)) return all(DataType.INT64);
  switch (op) {
    case 'Cast': return all(attrInt(node, 'to'));
    case 'CastLike': return all(inputType(1));
    case 'Constant': {
      const value = attr(node, 'value');
      if (value?.t) return all(value.t.dataType ?? undefined);
      if (attr(node, 'value_float') || attr(node, 'value_floats')) return all(DataType.FLOAT);
      if (attr(node, 'value_int') || attr(node, 'value_ints')) return all(DataType.INT64);
      return all(undefined);
    }
    case 'ConstantOfShape': return all(attr(node, 'value')?.t?.dataType ?? DataType.FLOAT);
    case 'EyeLike': case 'RandomNormalLike': case 'RandomUniformLike': return all(attrInt(node, 'dtype') ?? inputType(0));
    case 'RandomNormal': case 'RandomUniform': return all(attrInt(node, 'dtype') ?? DataType.FLOAT);
    case 'TopK': return [inputType(0), DataType.INT64];
    case 'Unique': return [inputType(0), DataType.INT64, DataType.INT64, DataType.INT64];
    case 'MaxPool': return [inputType(0), DataType.INT64];
    case 'DynamicQuantizeLinear': return [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
    case 'QuantizeLinear': return all(inputType(2) ?? DataType.UINT8);
    case 'MatMulInteger': case 'ConvInteger': return all(DataType.INT32);
    case 'LayerNormalization': return [inputType(0), attrInt(node, 'stash_type') === 1 || attrInt(node, 'stash_type') === undefined ? DataType.FLOAT : inputType(0), DataType.FLOAT].slice(0, n);
    case 'If': case 'Loop': case 'Scan': return all(undefined); // from the body's outputs, filled by the caller
    default: {
      const from = FROM_INPUT[op];
      return all(from === undefined ? inputType(0) : from < 0 ? DataType.INT32 : inputType(from));
    }
  }
}

export function elementTypes(model: ModelProto): Map<string, number> {
  const types = new Map<string, number>();
  const scopes = allGraphs(model);
  const declare = (name: string | null | undefined, t: number | null | undefined): void => {
    if (name && t && !types.has(name)) types.set(name, t);
  };
  for (const { graph } of scopes) {
    for (const t of graph.initializer ?? []) declare(t.name, t.dataType);
    for (const v of [...(graph.input ?? []), ...(graph.valueInfo ?? []), ...(graph.output ?? [])]) declare(v.name, v.type?.tensorType?.elemType);
  }
  // Nodes in graph order (a topological order in valid models); subgraph bodies
  // are visited after their owner's inputs are known because allGraphs lists
  // them after the graph that holds them, so loop until nothing changes.
  for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
    changed = false;
    for (const scope of scopes) {
      for (const node of scope.graph.node ?? []) {
        const out = node.output ?? [];
        if (out.every((o) => !o || types.has(o))) continue;
        let result = outputTypes(node, (i) => types.get((node.input ?? [])[i] ?? ''));
        if (node.opType === 'If' || node.opType === 'Loop' || node.opType === 'Scan') {
          const body = (node.attribute ?? []).find((a) => a.g)?.g;
          const bodyOuts = (body?.output ?? []).map((v) => v.type?.tensorType?.elemType ?? types.get(v.name ?? ''));
          // Loop's body outputs start with the condition; Scan's and If's map one to one.
          result = node.opType === 'Loop' ? bodyOuts.slice(1) : bodyOuts;
        }
        out.forEach((o, i) => {
          if (o && !types.has(o) && result[i]) {
            types.set(o, result[i]!);
            changed = true;
          }
        });
      }
    }
  }
  return types;
}

export const isFloat32 = (t: number | undefined): boolean => t === DataType.FLOAT;
