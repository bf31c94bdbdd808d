// Saving a model, atomically, losslessly, and with bounded memory: tensor
// bytes are written from the views they already are (encode-chunks.ts), and
// external tensors stream from their side file to the new one piece by piece.
// A protobuf cannot pass 2 GB, so a model that would is saved with external
// data even when not asked.
import { closeSync } from 'node:fs';
import { basename, isAbsolute, normalize, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { DataType } from './dtypes.js';
import { encodeModelChunks } from './encode-chunks.js';
import { isExternal, type ExternalDataStore } from './external-data.js';
import { isComputed } from './computed-tensor.js';
import { ChunkedWriter, openForWrite, writeAtomically, writeParts } from './file-io.js';
import { DataLocation, type ModelProto, type TensorProto } from './proto.js';
import { tensorByteLength, tensorBytes, type TensorSource } from './tensor-data.js';
import { cloneShallow, forEachModelTensor, mapModelTensors } from './walk-tensors.js';

/** protobuf's hard limit on a message, less a margin for the non-tensor fields' estimate. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

export interface SaveOptions {
  /**
   * true: tensors of `threshold` bytes or more go to one side file; false: all inline; 'auto'
   * (default): a side file when the protobuf would pass 2 GB, or when `source` keeps its tensors
   * in side files (a model loaded with external data is saved with external data: its tensors
   * then stream file to file, and computed ones are written one at a time, instead of all being
   * gathered in memory for one protobuf).
   */
  externalData?: boolean | 'auto';
  /** Side file name, relative to the model's folder (default: `<model file name>.data`). */
  externalDataName?: string;
  /** Smallest tensor moved to the side file (bytes, default 1024, as onnx does). */
  threshold?: number;
  /** Where tensors marked external in `model` are read from. */
  source?: TensorSource;
}

export interface SaveResult {
  file: string;
  bytes: number;
  externalFile?: string;
  externalBytes?: number;
  /** Set when external data was chosen because the model would pass the 2 GB protobuf limit. */
  autoExternal?: boolean;
}

const TYPED_FIELDS = ['floatData', 'int32Data', 'stringData', 'int64Data', 'doubleData', 'uint64Data'] as const;

export function saveModel(model: ModelProto, file: string, options: SaveOptions = {}): SaveResult {
  const source: TensorSource = options.source ?? { file };
  let external = options.externalData === true;
  let autoExternal = false;
  if (options.externalData === undefined || options.externalData === 'auto') {
    if (inlineSizeEstimate(model) > PROTOBUF_LIMIT) {
      external = true;
      autoExternal = true;
    } else if ((source.external?.files().size ?? 0) > 0) {
      external = true;
    }
  }
  if (!external) {
    const inlined = mapModelTensors(model, (t) => (isExternal(t) || isComputed(t) ? inlineTensor(t, tensorBytes(t, source)) : t));
    return writeAtomically([file], ([temp]) => {
      const bytes = writeChunks(temp!, inlined);
      return { file, bytes };
    });
  }
  const sideName = options.externalDataName ?? `${basename(file)}.data`;
  if (isAbsolute(sideName) || normalize(sideName).split(sep).includes('..')) {
    throw new UsageError(`external data file '${sideName}' must be a path inside the model's folder`);
  }
  const sidePath = `${file.slice(0, file.length - basename(file).length)}${sideName}`;
  const threshold = options.threshold ?? 1024;
  return writeAtomically([file, sidePath], ([temp, sideTemp]) => {
    const fd = openForWrite(sideTemp!);
    let externalized: ModelProto;
    let externalBytes: number;
    try {
      const side = new ChunkedWriter(fd);
      externalized = mapModelTensors(model, (t) => externalizeTensor(t, side, sideName, threshold, source));
      side.flush();
      externalBytes = side.position;
    } finally {
      closeSync(fd);
    }
    const bytes = writeChunks(temp!, externalized);
    return { file, bytes, externalFile: sidePath, externalBytes, ...(autoExternal ? { autoExternal } : {}) };
  });
}

function writeChunks(path: string, model: ModelProto): number {
  const { parts, length } = encodeModelChunks(model);
  if (length > PROTOBUF_LIMIT) throw new Error(`the model's protobuf would be ${length} bytes, past the 2 GB limit`);
  writeParts(path, parts);
  return length;
}

/** Size of the model if every tensor were inline. */
export function inlineSizeEstimate(model: ModelProto): number {
  let size = encodeModelChunks(model).length;
  forEachModelTensor(model, (t) => {
    if (isExternal(t) || isComputed(t)) size += (tensorByteLength(t) ?? 0) + 16;
  });
  return size;
}

function inlineTensor(t: TensorProto, bytes: Uint8Array): TensorProto {
  const copy = cloneShallow(t);
  delete copy.externalData;
  delete copy.dataLocation;
  for (const key of TYPED_FIELDS) delete copy[key];
  copy.rawData = bytes;
  return copy;
}

function externalizeTensor(t: TensorProto, side: ChunkedWriter, location: string, threshold: number, source: TensorSource): TensorProto {
  const size = tensorByteLength(t);
  // Strings have no raw layout; they stay inline, like onnx's own saver does.
  if (size === undefined || t.dataType === DataType.STRING || t.dataType === DataType.UNDEFINED) return t;
  if (size < threshold) return isExternal(t) || isComputed(t) ? inlineTensor(t, tensorBytes(t, source)) : t;
  side.pad(size >= 1024 * 1024 ? 65536 : 16);
  const offset = side.position;
  if (isExternal(t)) {
    const store = source.external as ExternalDataStore;
    store.stream(t, size, (chunk) => side.write(chunk));
  } else {
    side.write(tensorBytes(t, source));
  }
  const copy = cloneShallow(t);
  delete copy.rawData;
  for (const key of TYPED_FIELDS) delete copy[key];
  copy.dataLocation = DataLocation.EXTERNAL;
  copy.externalData = [
    { key: 'location', value: location },
    { key: 'offset', value: String(offset) },
    { key: 'length', value: String(size) },
  ];
  return copy;
}
