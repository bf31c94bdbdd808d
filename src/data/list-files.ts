// Which files a sample folder holds and what kind of data they are. A folder
// is searched recursively (sub-folders may be class names), sorted by path in
// code-unit order so every machine reads the same order, and must hold one
// kind of sample only: a folder mixing images and .npz files is refused,
// naming one file of each kind.
import { readdirSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { SampleFormatError } from './errors.js';

export type SampleFileKind = 'npz' | 'npy' | 'json' | 'image' | 'audio' | 'text';

const KIND_BY_EXTENSION: Readonly<Record<string, SampleFileKind>> = {
  '.npz': 'npz', '.npy': 'npy', '.json': 'json', '.ndjson': 'json',
  '.png': 'image', '.jpg': 'image', '.jpeg': 'image', '.webp': 'image',
  '.wav': 'audio', '.wave': 'audio',
  '.txt': 'text', '.jsonl': 'text',
};

/** Files that are never samples, whatever their extension: labels and model-folder configuration. */
const NOT_SAMPLES = new Set(['labels.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'config.json']);

/** The kind of a sample file by its extension, or undefined for files that are not samples. */
export function sampleKindOf(file: string): SampleFileKind | undefined {
  const name = file.split(/[\\/]/).pop()!.toLowerCase();
  if (NOT_SAMPLES.has(name)) return undefined;
  return KIND_BY_EXTENSION[extname(name)];
}

export interface SampleFiles {
  kind: SampleFileKind;
  /** full paths, sorted */
  files: string[];
}

/** Every file under `folder` (recursively, dot files and folders skipped), sorted. */
export function listFilesRecursive(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      // Dot files are editor or OS litter (macOS writes "._name.png" beside copies).
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      // statSync follows symlinks, so linked files and folders count too.
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(path);
      else if (st?.isFile()) out.push(path);
    }
  };
  walk(folder);
  // Code-unit order, not localeCompare: the same order on every machine.
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The sample files of a folder, all of one kind.
 * @throws SampleFormatError when the folder holds no sample files, or files of two kinds
 */
export function listSampleFiles(folder: string): SampleFiles {
  const byKind = new Map<SampleFileKind, string[]>();
  for (const file of listFilesRecursive(folder)) {
    const kind = sampleKindOf(file);
    if (!kind) continue;
    if (!byKind.has(kind)) byKind.set(kind, []);
    byKind.get(kind)!.push(file);
  }
  if (byKind.size === 0) {
    throw new SampleFormatError(folder, 'folder has no sample files (.npz, .npy, .json, .ndjson, .png, .jpg, .webp, .wav, .txt, .jsonl)');
  }
  const kinds = [...byKind.keys()];
  // A folder of .npy files beside .npz ones: the .npy are taken as stray arrays, as before.
  if (kinds.length === 2 && byKind.has('npz') && byKind.has('npy')) return { kind: 'npz', files: byKind.get('npz')! };
  if (kinds.length > 1) {
    const [a, b] = kinds.map((k) => relative(folder, byKind.get(k)![0]!));
    throw new SampleFormatError(folder, `folder mixes kinds of samples: ${a} (${kinds[0]}) and ${b} (${kinds[1]}); keep one kind per folder`);
  }
  const kind = kinds[0]!;
  if (kind === 'npy') {
    const n = byKind.get('npy')!.length;
    throw new SampleFormatError(folder,
      `folder has no .npz sample files (it has ${n} .npy file${n === 1 ? '' : 's'}; save each sample with np.savez(path, input_name=array) instead)`);
  }
  return { kind, files: byKind.get(kind)! };
}
