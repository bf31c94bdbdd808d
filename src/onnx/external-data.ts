// Tensors stored outside the .onnx file (data_location = EXTERNAL): parsed
// from their external_data entries, checked against their side files at load
// (without reading them), and read lazily, one tensor at a time, by
// positional reads on a file descriptor kept open per side file.
import { closeSync, openSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ModelFormatError } from '../errors.js';
import { readFully } from './file-io.js';
import { DataLocation, type TensorProto } from './proto.js';

export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

export function isExternal(t: TensorProto): boolean {
  return t.dataLocation === DataLocation.EXTERNAL;
}


/** The (location, offset, length) of an external tensor; length -1 when absent (rest of the file). */
export function parseExternalRef(t: TensorProto, modelFile: string): ExternalRef {
  let location = '';
  let offset = 0;
  let length = -1;
  for (const entry of t.externalData ?? []) {
    const value = entry.value ?? '';
    if (entry.key === 'location') location = value;
    else if (entry.key === 'offset' || entry.key === 'length') {
      const n = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) {
        throw new ModelFormatError(modelFile, `tensor '${t.name ?? ''}' has an invalid external ${entry.key} '${value}'`);
      }
      if (entry.key === 'offset') offset = n;
      else length = n;
    }
  }
  if (!location) throw new ModelFormatError(modelFile, `tensor '${t.name ?? ''}' is external but names no location`);
  const normalized = normalize(location);
  if (isAbsolute(location) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    throw new ModelFormatError(modelFile, `tensor '${t.name ?? ''}' has external data outside the model's folder ('${location}')`);
  }
  return { location: normalized, offset, length };
}

/** Side files of one model, opened on first use. */
export class ExternalDataStore {
  private readonly fds = new Map<string, number>();
  private readonly sizes = new Map<string, number>();

  constructor(readonly baseDir: string, readonly modelFile: string) {}

  /** Checks that the side file exists and holds the tensor's byte range; returns the resolved range. */
  check(t: TensorProto, expectedBytes: number | undefined): ExternalRef {
    const ref = parseExternalRef(t, this.modelFile);
    const size = this.fileSize(ref.location, t);
    const length = ref.length >= 0 ? ref.length : expectedBytes ?? size - ref.offset;
    if (ref.offset + length > size) {
      throw new ModelFormatError(this.modelFile,
        `tensor '${t.name ?? ''}' points past the end of its external data file ${ref.location} (offset ${ref.offset} + length ${length} > size ${size})`);
    }
    return { ...ref, length };
  }

  private fileSize(location: string, t: TensorProto): number {
    let size = this.sizes.get(location);
    if (size === undefined) {
      const path = join(this.baseDir, location);
      try {
        const st = statSync(path);
        if (!st.isFile()) throw new Error('not a file');
        size = st.size;
      } catch {
        throw new ModelFormatError(this.modelFile, `external data file ${path} (for tensor '${t.name ?? ''}') is missing`);
      }
      this.sizes.set(location, size);
    }
    return size;
  }

  private fd(location: string): number {
    let fd = this.fds.get(location);
    if (fd === undefined) {
      fd = openSync(join(this.baseDir, location), 'r');
      this.fds.set(location, fd);
    }
    return fd;
  }

  /** The whole tensor's bytes (one allocation of its size). */
  read(t: TensorProto, expectedBytes?: number): Uint8Array {
    const ref = this.check(t, expectedBytes);
    const buf = Buffer.allocUnsafeSlow(ref.length);
    readFully(this.fd(ref.location), buf, 0, ref.length, ref.offset);
    return buf;
  }

  /** Streams the tensor's bytes in pieces of at most `chunkSize` (the same buffer is reused between calls). */
  stream(t: TensorProto, expectedBytes: number | undefined, onChunk: (bytes: Uint8Array) => void, chunkSize = 16 * 1024 * 1024): number {
    const ref = this.check(t, expectedBytes);
    const buf = Buffer.allocUnsafeSlow(Math.min(chunkSize, Math.max(ref.length, 1)));
    const fd = this.fd(ref.location);
    for (let done = 0; done < ref.length;) {
      const n = Math.min(buf.length, ref.length - done);
      readFully(fd, buf, 0, n, ref.offset + done);
      onChunk(buf.subarray(0, n));
      done += n;
    }
    return ref.length;
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  /** Total bytes of the side files the model references (for reports). */
  files(): Map<string, number> {
    return new Map(this.sizes);
  }
}
