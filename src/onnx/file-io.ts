// File I/O that works past 2 GiB: Node's readFileSync/writeFileSync refuse
// files over 2 GiB, and one read/write call moves at most 2 GiB, so every
// transfer here goes in chunks. Writes are atomic: a temporary file in the
// destination folder, renamed into place only when complete.
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync, constants as fsConstants } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const IO_CHUNK = 64 * 1024 * 1024;

/** Reads a whole file into one Buffer (allocated once, filled in chunks). */
export function readWholeFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafeSlow(size);
    readFully(fd, buf, 0, size, 0);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Reads exactly `length` bytes at `position` into buf[offset...], or throws on a short file. */
export function readFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, offset + done, Math.min(IO_CHUNK, length - done), position + done);
    if (n === 0) throw new Error(`unexpected end of file after ${position + done} bytes`);
    done += n;
  }
}

export function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += writeSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.length - done));
  }
}

/**
 * Collects small pieces into a buffer before writing, and writes large ones
 * directly, so that many tiny protobuf pieces do not become many syscalls.
 */
export class ChunkedWriter {
  private readonly pending: Buffer;
  private used = 0;
  position = 0;
  constructor(readonly fd: number, bufferSize = 4 * 1024 * 1024) {
    this.pending = Buffer.allocUnsafe(bufferSize);
  }
  write(bytes: Uint8Array): void {
    if (bytes.length >= this.pending.length / 4) {
      this.flush();
      writeFully(this.fd, bytes);
    } else {
      if (this.used + bytes.length > this.pending.length) this.flush();
      this.pending.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.position += bytes.length;
  }
  /** Zero bytes up to the next multiple of `alignment`. */
  pad(alignment: number): void {
    const gap = (alignment - (this.position % alignment)) % alignment;
    if (gap) this.write(new Uint8Array(gap));
  }
  flush(): void {
    if (this.used) writeFully(this.fd, this.pending.subarray(0, this.used));
    this.used = 0;
  }
}

/** Writes byte pieces to a new file at `path`, in order, and closes it whatever happens. */
export function writeParts(path: string, parts: Iterable<Uint8Array>): void {
  const fd = openForWrite(path);
  try {
    const w = new ChunkedWriter(fd);
    for (const p of parts) w.write(p);
    w.flush();
  } finally {
    closeSync(fd);
  }
}

/** A temporary sibling of `target`, for write-then-rename. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes files atomically: `write` receives the temporary paths; when it
 * returns, each is renamed to its target; if it throws, none appears.
 */
export function writeAtomically<T>(targets: string[], write: (tempPaths: string[]) => T): T {
  const temps = targets.map(tempPathFor);
  try {
    const result = write(temps);
    // Rename side files first, the model last: a model never points at a missing side file.
    for (let i = temps.length - 1; i >= 0; i--) renameSync(temps[i]!, targets[i]!);
    return result;
  } catch (err) {
    for (const t of temps) rmSync(t, { force: true });
    throw err;
  }
}

export function openForWrite(path: string): number {
  return openSync(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o644);
}
