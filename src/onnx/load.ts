// Loading a model from a path, with one clear error (naming the file) for
// every way the input can be wrong. Never throws anything but ModelFormatError
// for a bad file.
import { statSync } from 'node:fs';
import { ModelFormatError } from '../errors.js';
import { readWholeFile } from './file-io.js';
import { Model } from './model.js';
import { forEachModelTensor } from './walk-tensors.js';
import { isExternal } from './external-data.js';
import { describeNonOnnx } from './sniff.js';
import { MAX_IR_VERSION, int64ToNumber, onnx, type ModelProto } from './proto.js';
import { tensorByteLength } from './tensor-data.js';

export function loadModel(file: string): Model {
  let size: number;
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new ModelFormatError(file, 'is a directory, not an ONNX model file');
    if (!st.isFile()) throw new ModelFormatError(file, 'is not a regular file');
    size = st.size;
  } catch (err) {
    if (err instanceof ModelFormatError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelFormatError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(err)})`);
  }
  if (size === 0) throw new ModelFormatError(file, 'is empty (0 bytes)');
  let bytes: Buffer;
  try {
    bytes = readWholeFile(file);
  } catch (err) {
    throw new ModelFormatError(file, `cannot be read (${(err as Error).message})`);
  }
  return loadModelFromBytes(bytes, file);
}

/** The same as loadModel for bytes already in memory; `file` names it in errors and locates its external data. */
export function loadModelFromBytes(bytes: Uint8Array, file: string): Model {
  const model = new Model(decodeModel(bytes, file), file, bytes.length);
  checkExternalData(model);
  return model;
}

/** Decodes and sanity-checks ModelProto bytes; the buffer stays referenced by raw_data views. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  const foreign = describeNonOnnx(bytes);
  if (foreign) throw new ModelFormatError(file, `is ${foreign}`);
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (err) {
    const reason = (err as Error).message;
    const truncated = /index out of range|end of/i.test(reason);
    throw new ModelFormatError(file,
      truncated ? `is truncated or corrupted: the protobuf ends in the middle of a field (${reason})`
        : `is not a valid ONNX model: the protobuf cannot be decoded (${reason})`, { cause: err });
  }
  const hasIr = Object.prototype.hasOwnProperty.call(proto, 'irVersion');
  if (!hasIr && !proto.graph) throw new ModelFormatError(file, 'is not an ONNX model (no ir_version and no graph)');
  const ir = int64ToNumber(proto.irVersion);
  if (ir > MAX_IR_VERSION) {
    throw new ModelFormatError(file,
      `uses ONNX IR version ${ir}, newer than this tool knows (up to ${MAX_IR_VERSION}); it is refused rather than saved with fields dropped — upgrade onnx-quantize`);
  }
  if (ir < 1) throw new ModelFormatError(file, `has an invalid IR version (${ir})`);
  if (!proto.graph) throw new ModelFormatError(file, 'has no graph');
  return proto;
}

/** Every external tensor's side file must exist and hold its byte range: checked now, read later. */
function checkExternalData(model: Model): void {
  forEachModelTensor(model.proto, (t) => {
    if (isExternal(t)) model.external.check(t, tensorByteLength(t));
  });
}
