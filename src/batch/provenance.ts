// What an output was made from, so a later run can tell whether it is up to
// date (--skip-existing): the SHA-256 of the source model (with its external
// data files) and of the settings that shaped the output (quantization
// settings, the calibration samples' contents, the tool's version). Both go
// into the output's `onnx-quantize` metadata entry; nothing in them depends
// on the time, the machine or the working directory's absolute path.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { decodeModel, loadModel } from '../onnx/load.js';
import { readWholeFile } from '../onnx/file-io.js';
import { forEachModelTensor } from '../onnx/walk-tensors.js';
import { isExternal, parseExternalRef } from '../onnx/external-data.js';
import { TOOL_VERSION } from '../quant/quantize-static.js';
import type { JobSettings } from './job-settings.js';

export interface Provenance {
  /** SHA-256 of the model file and its external data files, in hex */
  sourceSha256: string;
  /** SHA-256 of the canonical settings (see settingsDigest), in hex */
  settingsSha256: string;
}

function hashFileInto(hash: ReturnType<typeof createHash>, file: string): void {
  const fd = openSync(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(4 * 2 ** 20);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
}

/** Model files up to this size are decoded to find the external data files they name (a model with external data is small). */
const DECODE_LIMIT = 64 * 2 ** 20;

/**
 * The model's bytes and those of each external data file it names (in name
 * order), streamed: nothing is held whole. A model file over DECODE_LIMIT
 * (inline weights) is not decoded here: the files beside it named like it
 * (model.onnx.data, model.data) count as its external data. Costs one read
 * of the model and SHA-256 at 1-2 GB/s (measured here: 3.9 s for 1 GiB on a
 * loaded machine, where copying the file took 10.7 s).
 */
export function sourceDigest(file: string): string {
  const hash = createHash('sha256');
  const sides = new Set<string>();
  const size = statSync(file).size;
  if (size <= DECODE_LIMIT) {
    const bytes = readWholeFile(file);
    hash.update(bytes);
    try {
      forEachModelTensor(decodeModel(bytes, file), (t) => {
        if (isExternal(t)) sides.add(parseExternalRef(t, file).location);
      });
    } catch {
      // Not a model: its bytes are its identity (the job fails later with the reason).
    }
  } else {
    hashFileInto(hash, file);
    const stem = basename(file).replace(/\.onnx$/i, '');
    for (const name of readdirSync(dirname(file))) {
      if (name !== basename(file) && name.startsWith(stem) && /\.(data|onnx_data|bin)$/i.test(name)) sides.add(name);
    }
  }
  for (const side of [...sides].sort()) {
    const path = join(dirname(file), side);
    hash.update(`\0${side}\0`);
    if (existsSync(path)) hashFileInto(hash, path);
  }
  return hash.digest('hex');
}

/** A file's or a folder's contents (every file below it, by relative path), or '' when there is none. */
export function dataDigest(path: string | undefined): string {
  if (!path || !existsSync(path)) return '';
  const hash = createHash('sha256');
  if (statSync(path).isDirectory()) {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) files.push(p);
      }
    };
    walk(path);
    for (const f of files) {
      hash.update(`\0${relative(path, f).split('\\').join('/')}\0`);
      hashFileInto(hash, f);
    }
  } else {
    hashFileInto(hash, path);
  }
  return hash.digest('hex');
}

/** JSON with keys sorted at every level: the same settings give the same text whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The settings that decide the output's bytes: the quantization options
 * (sample paths replaced by their contents' digests, so a moved checkout
 * is not stale and a changed sample is) and the tool's version.
 */
export function settingsDigest(settings: JobSettings): string {
  const { calibrate, checkSamples, ...rest } = settings.quantize;
  return createHash('sha256').update(canonicalJson({
    tool: TOOL_VERSION,
    quantize: rest,
    calibrate: calibrate === undefined ? null : dataDigest(calibrate),
    checkSamples: checkSamples === undefined ? null : dataDigest(checkSamples),
  })).digest('hex');
}

export function provenanceOf(input: string, settings: JobSettings): Provenance {
  return { sourceSha256: sourceDigest(input), settingsSha256: settingsDigest(settings) };
}

/** The provenance recorded in an output's metadata, or undefined (not ours, older, unreadable). */
export function recordedProvenance(output: string): Partial<Provenance> | undefined {
  try {
    const model = loadModel(output);
    try {
      const entry = (model.proto.metadataProps ?? []).find((e) => e.key === 'onnx-quantize');
      if (!entry?.value) return undefined;
      const parsed = JSON.parse(entry.value) as Record<string, unknown>;
      return {
        ...(typeof parsed.sourceSha256 === 'string' ? { sourceSha256: parsed.sourceSha256 } : {}),
        ...(typeof parsed.settingsSha256 === 'string' ? { settingsSha256: parsed.settingsSha256 } : {}),
      };
    } finally {
      model.close();
    }
  } catch {
    return undefined;
  }
}
