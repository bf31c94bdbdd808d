// Which ops ONNX Runtime's CPU provider runs in float16, measured rather than
// assumed: a one-node float16 model per op, and the optimized graph ORT saves.
// Where the CPU provider has no float16 kernel, ORT's InsertCastTransformer
// wraps the node in Cast nodes (float16 → float → float16), per node and per
// use; the converter keeps those ops float32 itself instead, with one Cast per
// value. `npm run bench` (fp16-kernels) prints the table; a test checks the
// block list in kernels.ts against it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { encodeModel, makeGraph, makeModel, makeNode, makeTensor, makeValueInfo, type AttrValue } from '../../onnx/build.js';
import { DataType } from '../../onnx/dtypes.js';
import { float32ArrayToHalf } from '../../onnx/float16.js';
import { loadModel } from '../../onnx/load.js';

interface ProbeInput {
  shape: number[];
  /** Element type (default FLOAT16). */
  type?: number;
  /** A constant initializer with these values instead of a graph input. */
  values?: number[];
}

export interface OpProbe {
  op: string;
  inputs: ProbeInput[];
  outputs?: number;
  attrs?: Record<string, AttrValue>;
  opset?: number;
  /** Element types of the outputs (default FLOAT16). */
  outputTypes?: number[];
}

const X = { shape: [2, 8] };
const I64 = DataType.INT64;
const unary = (op: string, attrs?: Record<string, AttrValue>): OpProbe => ({ op, inputs: [X], attrs });
const binary = (op: string): OpProbe => ({ op, inputs: [X, X] });

/** The ops probed: what transformers, CNNs and their exporters' shape arithmetic use. */
export const OP_PROBES: OpProbe[] = [
  ...['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'PRelu', 'Mod'].map(binary),
  ...['Relu', 'Sigmoid', 'Tanh', 'Erf', 'Exp', 'Log', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Floor', 'Ceil', 'Round', 'Sin', 'Cos',
    'Softplus', 'Softsign', 'HardSwish', 'Sign', 'Identity', 'Elu', 'Selu', 'Celu', 'Mish'].map((op) => unary(op)),
  unary('LeakyRelu', { alpha: { float: 0.1 } }),
  unary('HardSigmoid'),
  unary('Gelu'), // opset 20
  unary('Softmax', { axis: -1 }),
  unary('LogSoftmax', { axis: -1 }),
  unary('Clip'),
  { op: 'CumSum', inputs: [X, { shape: [], type: I64, values: [1] }] },
  unary('ReduceMean'),
  unary('ReduceSum'),
  unary('ReduceMax'),
  unary('ReduceMin'),
  unary('ReduceProd'),
  unary('ReduceL2'),
  unary('ReduceSumSquare'),
  unary('ReduceLogSumExp'),
  unary('Transpose', { perm: [1, 0] }),
  unary('Flatten'),
  unary('Trilu'),
  { op: 'MatMul', inputs: [X, { shape: [8, 4] }] },
  { op: 'Gemm', inputs: [X, { shape: [8, 4] }, { shape: [4] }] },
  { op: 'Einsum', inputs: [X, { shape: [8, 4] }], attrs: { equation: 'ij,jk->ik' } },
  { op: 'Conv', inputs: [{ shape: [1, 2, 6, 6] }, { shape: [3, 2, 3, 3] }] },
  { op: 'ConvTranspose', inputs: [{ shape: [1, 2, 6, 6] }, { shape: [2, 3, 3, 3] }] },
  { op: 'MaxPool', inputs: [{ shape: [1, 2, 6, 6] }], attrs: { kernel_shape: [2, 2] } },
  { op: 'AveragePool', inputs: [{ shape: [1, 2, 6, 6] }], attrs: { kernel_shape: [2, 2] } },
  { op: 'GlobalAveragePool', inputs: [{ shape: [1, 2, 6, 6] }] },
  { op: 'BatchNormalization', inputs: [{ shape: [1, 2, 4, 4] }, { shape: [2] }, { shape: [2] }, { shape: [2] }, { shape: [2], values: [1, 1] }] },
  { op: 'InstanceNormalization', inputs: [{ shape: [1, 2, 4, 4] }, { shape: [2] }, { shape: [2] }] },
  { op: 'LayerNormalization', inputs: [X, { shape: [8] }, { shape: [8] }], attrs: { axis: -1 } },
  { op: 'GroupNormalization', inputs: [{ shape: [1, 4, 3] }, { shape: [4] }, { shape: [4] }], attrs: { num_groups: 2 }, opset: 21 },
  { op: 'RMSNormalization', inputs: [X, { shape: [8] }], opset: 23 },
  { op: 'Resize', inputs: [{ shape: [1, 1, 4, 4] }, { shape: [0], type: DataType.FLOAT, values: [] }, { shape: [4], type: DataType.FLOAT, values: [1, 1, 2, 2] }] },
  { op: 'Upsample', inputs: [{ shape: [1, 1, 4, 4] }, { shape: [4], type: DataType.FLOAT, values: [1, 1, 2, 2] }], opset: 9 },
  { op: 'Range', inputs: [{ shape: [], values: [0] }, { shape: [], values: [4] }, { shape: [], values: [1] }] },
  { op: 'Where', inputs: [{ shape: [2, 8], type: DataType.BOOL }, X, X] },
  { op: 'Equal', inputs: [X, X], outputTypes: [DataType.BOOL] },
  { op: 'Less', inputs: [X, X], outputTypes: [DataType.BOOL] },
  { op: 'Greater', inputs: [X, X], outputTypes: [DataType.BOOL] },
  { op: 'ArgMax', inputs: [X], outputTypes: [I64] },
  { op: 'TopK', inputs: [X, { shape: [1], type: I64, values: [2] }], outputs: 2, outputTypes: [DataType.FLOAT16, I64] },
  { op: 'Concat', inputs: [X, X], attrs: { axis: 0 } },
  { op: 'Split', inputs: [X], outputs: 2, attrs: { axis: 1, num_outputs: 2 } },
  { op: 'Slice', inputs: [X, { shape: [1], type: I64, values: [0] }, { shape: [1], type: I64, values: [4] }, { shape: [1], type: I64, values: [1] }] },
  { op: 'Gather', inputs: [X, { shape: [2], type: I64, values: [0, 1] }] },
  { op: 'GatherElements', inputs: [X, { shape: [2, 8], type: I64, values: new Array(16).fill(0) }] },
  { op: 'Reshape', inputs: [X, { shape: [2], type: I64, values: [4, 4] }] },
  { op: 'Expand', inputs: [{ shape: [1, 8] }, { shape: [2], type: I64, values: [2, 8] }] },
  { op: 'Tile', inputs: [X, { shape: [2], type: I64, values: [1, 2] }] },
  { op: 'Pad', inputs: [X, { shape: [4], type: I64, values: [0, 1, 0, 1] }] },
  { op: 'Unsqueeze', inputs: [X, { shape: [1], type: I64, values: [0] }] },
  { op: 'ScatterND', inputs: [X, { shape: [1, 1], type: I64, values: [0] }, { shape: [1, 8] }] },
  { op: 'DepthToSpace', inputs: [{ shape: [1, 4, 2, 2] }], attrs: { blocksize: 2 } },
  { op: 'Cast', inputs: [X], attrs: { to: DataType.FLOAT16 } },
  { op: 'IsNaN', inputs: [X], outputTypes: [DataType.BOOL] },
];

function probeModel(p: OpProbe): Uint8Array {
  const inputs = [];
  const initializers = [];
  const names: string[] = [];
  for (const [i, spec] of p.inputs.entries()) {
    const name = `in${i}`;
    names.push(name);
    const type = spec.type ?? DataType.FLOAT16;
    if (spec.values) {
      const data = type === DataType.INT64 ? BigInt64Array.from(spec.values.map(BigInt))
        : type === DataType.FLOAT ? Float32Array.from(spec.values)
          : float32ArrayToHalf(Float32Array.from(spec.values));
      initializers.push(makeTensor(name, spec.shape, data, type));
    } else {
      inputs.push(makeValueInfo(name, type, spec.shape));
    }
  }
  const outputs = Array.from({ length: p.outputs ?? 1 }, (_, i) => `out${i}`);
  const opset = p.opset ?? 20;
  const graph = makeGraph({
    nodes: [makeNode(p.op, names, outputs, 'probe', p.attrs ?? {})],
    inputs, initializers,
    outputs: outputs.map((o, i) => makeValueInfo(o, p.outputTypes?.[i] ?? DataType.FLOAT16)),
  });
  return encodeModel(makeModel(graph, opset, 10));
}

export interface ProbeResult {
  op: string;
  /** 'float16': a float16 CPU kernel ran it; 'cast': ORT wrapped it in Casts to float; 'error': no session. */
  kernel: 'float16' | 'cast' | 'error';
  detail?: string;
}

/** Probes one op: builds the float16 model, lets ORT optimise and save it, and looks for the Casts it inserted. */
export async function probeOp(p: OpProbe): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), 'oq-fp16-probe-'));
  try {
    const file = join(dir, 'model.onnx');
    const optimized = join(dir, 'optimized.onnx');
    writeFileSync(file, probeModel(p));
    try {
      const session = await ort.InferenceSession.create(file, { logSeverityLevel: 3, graphOptimizationLevel: 'disabled', optimizedModelFilePath: optimized });
      await session.release();
    } catch (err) {
      return { op: p.op, kernel: 'error', detail: (err as Error).message.split('\n')[0] };
    }
    const model = loadModel(optimized);
    const casts = (model.proto.graph?.node ?? []).filter((n) => n.opType === 'Cast').length - (p.op === 'Cast' ? 1 : 0);
    model.close();
    return { op: p.op, kernel: casts > 0 ? 'cast' : 'float16' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
