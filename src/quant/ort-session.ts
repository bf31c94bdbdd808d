// Opening an ONNX Runtime session on a model held in memory. Inline models go
// as bytes; a model with external data is written beside its source model
// (a hidden temporary file, removed after) so its relative side-file paths
// resolve.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { inlineComputedTensors } from '../onnx/computed-tensor.js';
import { encodeModelChunks } from '../onnx/encode-chunks.js';
import { isExternal } from '../onnx/external-data.js';
import { tempPathFor, writeParts } from '../onnx/file-io.js';
import type { ModelProto } from '../onnx/proto.js';
import { removeOnExit } from '../cleanup.js';
import { forEachModelTensor } from '../onnx/walk-tensors.js';

let sessionThreads: number | undefined;

/**
 * Intra-op threads for the sessions this process opens while quantizing
 * (calibration, the output's check); undefined: ONNX Runtime's default (one
 * per physical core). A batch's worker process sets its share of the CPUs,
 * so N workers do not each start a thread per core.
 */
export function setQuantizeSessionThreads(threads: number | undefined): void {
  sessionThreads = threads;
}

/** The options with this process's thread count added (unless they set their own). */
export function withSessionThreads(options: ort.InferenceSession.SessionOptions): ort.InferenceSession.SessionOptions {
  return sessionThreads === undefined || options.intraOpNumThreads !== undefined ? options : { ...options, intraOpNumThreads: sessionThreads };
}

export async function openSessionFor(model: ModelProto, sourceFile: string, sessionOptions: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  // Errors only: the runtime's warnings are not the user's to read.
  const options = withSessionThreads({ logSeverityLevel: 3 as const, ...sessionOptions });
  // Weights computed on first use (a rewrite's deferred results) become bytes here.
  const proto = inlineComputedTensors(model);
  let external = false;
  forEachModelTensor(proto, (t) => {
    if (isExternal(t)) external = true;
  });
  const { parts, length } = encodeModelChunks(proto);
  if (!external) {
    const bytes = Buffer.allocUnsafe(length);
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return ort.InferenceSession.create(bytes, options);
  }
  const temp = tempPathFor(join(dirname(sourceFile), 'session.onnx'));
  const forget = removeOnExit(temp);
  try {
    writeParts(temp, parts);
    return await ort.InferenceSession.create(temp, options);
  } finally {
    rmSync(temp, { force: true });
    forget();
  }
}
