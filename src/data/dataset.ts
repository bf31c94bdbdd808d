// Calibration samples on disk, read one at a time. A calibration set can be
// hundreds of inputs; samples() reads each when it is reached and keeps
// nothing afterwards, so memory holds one sample, not the set.
//
// The three layouts a user can point at:
//   folder/    one sample per .npz file (np.savez(f, input=..., mask=...)),
//              taken in file-name order so runs are reproducible
//   x.npy      single-input models only: one array whose first axis indexes
//              samples; sample i is x[i:i+1], keeping a batch axis of 1
//   x.npz      one sample, one array per input

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SampleFormatError } from './errors.js';
import { sliceFirstAxis, type NdArray } from './ndarray.js';
import { parseNpy } from './npy.js';
import { parseNpz } from './npz.js';

/** One set of model inputs. */
export interface Sample {
  /** names where the sample came from in messages: "eval/sample_007.npz", "calib.npy[7]" */
  source: string;
  /** arrays by name; may hold arrays the model does not take (validation ignores those) */
  inputs: Map<string, NdArray>;
}

export type DatasetKind = 'npz-folder' | 'npy-batch' | 'npz-file';

export interface Dataset {
  kind: DatasetKind;
  /** the path the dataset was opened with */
  path: string;
  /** number of samples samples() yields */
  count: number;
  /** the files the samples are read from, in order (one for a .npy or .npz) */
  files: string[];
  /** each sample's source name, in the order samples() yields them */
  sources: string[];
  /** the samples, in order, each read from disk when reached; callable again to re-read */
  samples(): Generator<Sample, void, undefined>;
}

/**
 * Opens the calibration samples at `path` (a folder of .npz files, a .npy or
 * a .npz; see the top of this file). Lists the folder, or reads the .npy to
 * learn its sample count; .npz files are read only when iterated.
 *
 * @param inputNames the model's input names; a .npy feeds inputNames[0] and
 *   needs exactly one
 * @throws SampleFormatError for a missing path, a folder without .npz files,
 *   an unknown file type, or a .npy for a model with more than one input
 */
export function openDataset(path: string, inputNames: string[]): Dataset {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new SampleFormatError(path, 'no such file or folder');
  if (stat.isDirectory()) return openNpzFolder(path);
  const lower = path.toLowerCase();
  if (lower.endsWith('.npy')) return openNpyBatch(path, inputNames);
  if (lower.endsWith('.npz')) return openNpzFile(path);
  throw new SampleFormatError(path, 'not a folder, a .npy file or a .npz file');
}

function openNpzFolder(folder: string): Dataset {
  const names: string[] = [];
  let npyCount = 0;
  for (const name of readdirSync(folder)) {
    // Dot files are editor or OS litter (macOS writes "._name.npz" beside copies).
    if (name.startsWith('.')) continue;
    const lower = name.toLowerCase();
    if (!lower.endsWith('.npz') && !lower.endsWith('.npy')) continue;
    // statSync follows symlinks, so linked sample files count too.
    if (!statSync(join(folder, name), { throwIfNoEntry: false })?.isFile()) continue;
    if (lower.endsWith('.npz')) names.push(name);
    else npyCount++;
  }
  if (names.length === 0) {
    const hint = npyCount > 0
      ? ` (it has ${npyCount} .npy file${npyCount === 1 ? '' : 's'}; save each sample with np.savez(path, input_name=array) instead)`
      : '';
    throw new SampleFormatError(folder, `folder has no .npz sample files${hint}`);
  }
  // Code-unit order, not localeCompare: the same order on every machine.
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const files = names.map((name) => join(folder, name));
  return {
    kind: 'npz-folder',
    path: folder,
    count: files.length,
    files,
    sources: files,
    *samples() {
      for (const file of files) yield { source: file, inputs: parseNpz(readBytes(file), file) };
    },
  };
}

function openNpyBatch(file: string, inputNames: string[]): Dataset {
  if (inputNames.length !== 1) {
    throw new SampleFormatError(
      file,
      `a .npy file holds one input, but the model has ${inputNames.length} (${inputNames.join(', ')}); ` +
        'use a folder of .npz files, one per sample, with one array per input',
    );
  }
  const inputName = inputNames[0];
  const batch = parseNpy(readBytes(file), file);
  if (batch.shape.length === 0) {
    throw new SampleFormatError(file, 'holds a 0-d array; its first axis must index the samples');
  }
  const count = batch.shape[0];
  if (count === 0) throw new SampleFormatError(file, `holds no samples (shape ${batch.shape.join('x')})`);
  const sources = Array.from({ length: count }, (_, i) => `${file}[${i}]`);
  return {
    kind: 'npy-batch',
    path: file,
    count,
    files: [file],
    sources,
    // The whole file is in memory already (it is one array); each sample is a
    // view of one row of it, so iterating allocates no copies.
    *samples() {
      for (let i = 0; i < count; i++) {
        yield { source: sources[i], inputs: new Map([[inputName, sliceFirstAxis(batch, i, i + 1)]]) };
      }
    },
  };
}

function openNpzFile(file: string): Dataset {
  return {
    kind: 'npz-file',
    path: file,
    count: 1,
    files: [file],
    sources: [file],
    *samples() {
      yield { source: file, inputs: parseNpz(readBytes(file), file) };
    },
  };
}

/** The file's bytes; a read failure (permissions, vanished file) names the file. */
function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new SampleFormatError(file, `cannot read: ${err.code ?? err.message}`);
  }
}
