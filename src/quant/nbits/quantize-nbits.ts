// The library entry of low-bit weight quantization (q4, q2, bnb4, INT4
// DequantizeLinear): plan which MatMuls (and, on request, embedding tables)
// take low-bit weights, collect the second moments of their inputs when
// GPTQ runs, rewrite the graph with weights computed as the model is saved,
// and report what was done. Activations and math stay in the model's float
// type (MatMulNBits with accuracy_level 4 quantizes its input to int8 inside
// the kernel).
import { dirname } from 'node:path';
import { RuntimeFailure, UsageError } from '../../errors.js';
import { DataType, dtypeName } from '../../onnx/dtypes.js';
import { GraphIndex } from '../../onnx/graph-index.js';
import type { Model } from '../../onnx/model.js';
import { int64ToNumber, toLong, type ModelProto, type NodeProto } from '../../onnx/proto.js';
import { firstSample, openDataset } from '../../data/dataset.js';
import { validateDataset } from '../../data/validate.js';
import type { NdArray } from '../../data/ndarray.js';
import { completeTransformerInputs } from '../../data/transformer-feeds.js';
import { collectSecondMoments, type SecondMoments } from '../../calib/second-moments.js';
import { checkOpsetUpgrade, defaultOpset, upgradeOpset } from '../opset.js';
import { openSessionFor } from '../ort-session.js';
import { inputSpecs, prepareModel } from '../prepare.js';
import { groupNodes, type QuantizeOutcome } from '../report.js';
import { describeNBits, resolveNBitsOptions, type NBitsOptions, type ResolvedNBitsOptions } from './options.js';
import { describeOps, planNBits, type Candidate } from './plan.js';
import { MS_DOMAIN, rewriteNBits } from './rewrite.js';
import { nbitsKernels } from './wasm-nbits.js';

const SUB_BYTE = new Set<number>([DataType.INT4, DataType.UINT4, DataType.INT2, DataType.UINT2, DataType.FLOAT4E2M1]);
const QDQ_OPSET = 21;

export async function quantizeNBits(model: Model, options: NBitsOptions): Promise<QuantizeOutcome> {
  const opts = resolveNBitsOptions(options);
  const prepared = prepareModel(model, { dequantizeLinear: false });
  const proto = prepared.proto;
  const notes = [...prepared.notes];
  // A fresh index: preparing promoted Constant nodes to initializers and folded BatchNorms.
  const index = new GraphIndex(proto);
  const plan = planNBits(index, opts);
  if (plan.candidates.length === 0) {
    const what = opts.embeddings ? 'no MatMul with a constant 2-D float weight and no embedding Gather' : 'no MatMul with a constant 2-D float weight';
    const why = [...plan.skipped.keys()].slice(0, 3).join('; ');
    throw new RuntimeFailure(`${model.file}: nothing ${opts.format === 'bnb4' ? 'bnb4' : `${opts.bits}-bit`} weights apply to: ${what}${why ? ` (${why})` : ''}; the model has ${describeOps(plan)}`);
  }

  const from = defaultOpset(proto);
  let to = from;
  if (opts.format === 'qdq' && from < QDQ_OPSET) {
    const check = checkOpsetUpgrade(proto, from, QDQ_OPSET);
    if (!check.ok) throw new RuntimeFailure(`${model.file}: blocked INT4 DequantizeLinear needs opset ${QDQ_OPSET}, and raising opset ${from} would change: ${check.blockers.join('; ')} (use the default MatMulNBits format instead)`);
    upgradeOpset(proto, from, QDQ_OPSET, (b) => index.uniqueName(b));
    to = QDQ_OPSET;
    notes.push(`opset raised from ${from} to ${QDQ_OPSET} (INT4 DequantizeLinear with block_size needs it)`);
  }

  let moments: Map<string, SecondMoments> | undefined;
  let samples = 0;
  if (opts.algorithm === 'gptq') {
    ({ moments, samples } = await secondMoments(model, proto, plan.candidates, opts));
  }

  const total = new Set(plan.candidates.map((c) => (c.kind === 'matmul' ? c.weight : c.table).tensor.name)).size;
  let done = 0;
  const rewritten = rewriteNBits({ model, index, uniqueName: (b) => index.uniqueName(b), opts, moments, onWeight: () => opts.onProgress?.(++done, total) }, plan.candidates);
  notes.push(...rewritten.notes);
  if (rewritten.rtnFallbacks.length) {
    notes.push(`GPTQ had no calibration statistics for ${rewritten.rtnFallbacks.length} MatMul${rewritten.rtnFallbacks.length > 1 ? 's' : ''} inside subgraphs (${rewritten.rtnFallbacks.slice(0, 3).join(', ')}): rounded to nearest`);
  }
  if (opts.format !== 'qdq' && !(proto.opsetImport ?? []).some((o) => o.domain === MS_DOMAIN)) {
    (proto.opsetImport ??= []).push({ domain: MS_DOMAIN, version: toLong(1) });
  }
  assertNoSubByteOutputs(proto, model.file);

  const quantizedNodes = plan.candidates.map((c) => c.node);
  return {
    proto,
    origin: rewritten.origin,
    report: {
      mode: 'low-bit',
      modeReason: describeNBits(opts) + (opts.algorithm === 'gptq' ? ` on ${samples} calibration sample${samples === 1 ? '' : 's'}` : ''),
      weightFormat: weightFormatName(opts),
      samples, opset: { from, to }, perChannel: false,
      quantized: rewritten.written,
      weightOnly: [],
      float: groupNodes(plan.skipped),
      fallbacks: [], foldedBatchNorms: prepared.foldedBatchNorms, promotedConstants: prepared.promotedConstants,
      notes: [...notes, `${quantizedNodes.length} node${quantizedNodes.length > 1 ? 's' : ''} with low-bit weights; activations stay ${[...new Set(plan.candidates.map((c) => dtypeName(c.floatType)))].join('/')}`],
    },
  };
}

/** "int4", "uint4", "nf4"...: what the metadata records as the weights' type. */
function weightFormatName(o: ResolvedNBitsOptions): string {
  if (o.format === 'bnb4') return o.bnb4Type;
  return `${o.symmetric ? 'int' : 'uint'}${o.bits}`;
}

async function secondMoments(model: Model, proto: ModelProto, candidates: Candidate[], opts: ResolvedNBitsOptions): Promise<{ moments: Map<string, SecondMoments>; samples: number }> {
  const specs = inputSpecs(model.proto);
  const names = specs.map((s) => s.name);
  const dataset = openDataset(opts.calibrate!, specs, { modelDir: dirname(model.file) });
  const first = await firstSample(dataset);
  if (!first) throw new UsageError(`${opts.calibrate}: no calibration samples`);
  // A decoder's samples may hold the tokens only: its KV cache (empty), mask and positions are
  // made to fit each sample, as transformers.js feeds the first step.
  const given = specs.filter((s) => first.inputs.has(s.name));
  const transformer = given.length < specs.length && completeTransformerInputs(specs, first.inputs) !== undefined;
  await validateDataset(dataset, transformer ? given : specs);
  const complete = transformer ? (inputs: Map<string, NdArray>) => completeTransformerInputs(specs, inputs) ?? inputs : undefined;
  // Main-graph MatMuls only: a subgraph's values cannot be exposed as graph outputs.
  const matmuls = candidates.filter((c): c is Extract<Candidate, { kind: 'matmul' }> => c.kind === 'matmul' && c.scope.depth === 0);
  const elemType = matmuls[0]?.floatType ?? DataType.FLOAT;
  const widths = new Map<string, number>();
  for (const c of matmuls) if (c.floatType === elemType) widths.set(c.node.input![0]!, c.k);
  // The statistics are read from the float model as given (the prepared copy only renamed and folded).
  const kernels = nbitsKernels();
  const moments = await collectSecondMoments(proto, widths, elemType, dataset, names, (m) => openSessionFor(m, model.file), {
    onSample: (done) => opts.onProgress?.(done, dataset.count),
    accumulate: kernels ? (h, x, k) => kernels.xtx(x, k, h) : undefined,
    complete,
  });
  return { moments, samples: dataset.count };
}

/**
 * onnxruntime-node aborts the whole process when a session returns an INT4
 * (or other sub-byte) tensor: no graph output may be one. The rewrite only
 * adds sub-byte initializers under fresh names feeding DequantizeLinear;
 * this guards the invariant.
 */
export function assertNoSubByteOutputs(proto: ModelProto, file: string): void {
  const graph = proto.graph!;
  const subByteInits = new Set((graph.initializer ?? []).filter((t) => SUB_BYTE.has(t.dataType ?? 0)).map((t) => t.name));
  const producers = new Map<string, NodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producers.set(o, n);
  for (const v of graph.output ?? []) {
    const declared = v.type?.tensorType?.elemType ?? 0;
    const producer = producers.get(v.name ?? '');
    const subByteOp = producer && ['QuantizeLinear', 'Cast'].includes(producer.opType ?? '') && (producer.attribute ?? []).some((a) => (a.name === 'output_dtype' || a.name === 'to') && SUB_BYTE.has(int64ToNumber(a.i ?? 0)));
    if (SUB_BYTE.has(declared) || subByteInits.has(v.name) || subByteOp) {
      throw new RuntimeFailure(`${file}: graph output '${v.name}' would be of type ${dtypeName(declared || DataType.INT4)}, which onnxruntime-node cannot return (it aborts the process): refusing to write it`);
    }
  }
}
