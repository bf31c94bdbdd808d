// The models a command names, as a sorted list: files as given, folders
// walked with -r (every *.onnx below them), and glob patterns expanded here
// for shells that do not (a quoted 'models/**/*.onnx' on Windows, or in a
// CI step's YAML). The list's order is the arguments' order, each folder's
// or pattern's files sorted by path, so the same command lists the same
// models in the same order on every machine. Each model knows its path below the folder or glob base
// it came from (--out-dir mirrors it) and a stable key (its path from the
// working directory) for shards and merged reports.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { UsageError } from '../errors.js';

export interface ModelEntry {
  /** the path to read, as given or found */
  input: string;
  /** its path below the folder or glob base it was found in (posix separators); a file named directly: its base name */
  relative: string;
  /** the path from the working directory (posix separators): the model's identity in shards and merged reports */
  key: string;
  /** found in a folder or by a pattern, rather than named */
  found?: boolean;
}

export interface ExpandOptions {
  /** walk folders for *.onnx files (without it a folder is a usage error) */
  recursive?: boolean;
  /** the folder relative paths and globs are read from (default: the working directory) */
  cwd?: string;
  /**
   * Asked first for each folder named: the models it stands for when it is
   * more than a folder of models (a model repository with its own layout,
   * say), or undefined for the default (-r walks it, else a usage error).
   */
  folder?(path: string): ModelEntry[] | undefined;
}

const toPosix = (p: string): string => p.split(sep).join('/');

/** Hidden folders (a run's .work- folders among them) and node_modules are never walked. */
const skipFolder = (name: string): boolean => name.startsWith('.') || name === 'node_modules';

/**
 * Expands the arguments into models, each once: in the order named, a
 * folder's or pattern's files sorted by path.
 * @throws UsageError for a folder without -r, or a pattern that matches nothing
 */
export function expandModels(args: readonly string[], opts: ExpandOptions = {}): ModelEntry[] {
  const cwd = opts.cwd ?? process.cwd();
  const found = new Map<string, ModelEntry>();
  const add = (input: string, rel: string, byPattern = true): void => {
    const key = toPosix(relative(process.cwd(), resolve(cwd, input))) || basename(input);
    if (!found.has(key)) found.set(key, { input, relative: toPosix(rel), key, ...(byPattern ? { found: true } : {}) });
  };
  for (const arg of args) {
    const path = resolve(cwd, arg);
    if (existsSync(path) && statSync(path).isDirectory()) {
      const special = opts.folder?.(arg);
      if (special) {
        for (const e of special) if (!found.has(e.key)) found.set(e.key, e);
        continue;
      }
      if (!opts.recursive) {
        throw new UsageError(`${arg} is a folder: pass -r to quantize every .onnx file below it, or name the models (a quoted glob like '${join(arg, '*.onnx')}' works too)`);
      }
      const files = walkModels(path);
      if (files.length === 0) throw new UsageError(`${arg}: no .onnx files below this folder`);
      for (const file of files) add(join(arg, file), file);
    } else if (!existsSync(path) && isDynamicPattern(arg)) {
      const matches = globSync(arg, { cwd, onlyFiles: true, expandDirectories: false, dot: false, ignore: ['**/node_modules/**'] }).sort();
      if (matches.length === 0) throw new UsageError(`${arg}: no file matches this pattern`);
      const base = globBase(arg);
      for (const m of matches) add(m, relative(resolve(cwd, base), resolve(cwd, m)));
    } else {
      add(arg, basename(arg), false);
    }
  }
  return [...found.values()];
}

/** The *.onnx files below a folder, as paths relative to it (sorted, posix order of names). */
function walkModels(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = prefix ? join(prefix, entry.name) : entry.name;
      if (entry.isDirectory()) {
        if (!skipFolder(entry.name)) walk(join(dir, entry.name), rel);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && /\.onnx$/i.test(entry.name) && !entry.name.startsWith('.')) {
        out.push(rel);
      }
    }
  };
  walk(root, '');
  return out;
}

/** The folders of a pattern before its first segment with a wildcard: 'models/**\/*.onnx' → 'models'. */
export function globBase(pattern: string): string {
  const parts = pattern.split(/[/\\]/);
  const fixed: string[] = [];
  for (const part of parts.slice(0, -1)) {
    if (isDynamicPattern(part)) break;
    fixed.push(part);
  }
  return fixed.join('/') || '.';
}
