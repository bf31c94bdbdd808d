// Where a model's output goes: beside its input, or under --out-dir at the
// same place relative to the folder (or glob base) it was found in, named by
// a pattern ('{name}.int8.onnx', {name} being the input's name without .onnx).
import { basename, dirname, join } from 'node:path';
import type { ModelEntry } from './model-list.js';

const PLACEHOLDER = /\{([^{}]*)\}/g;
const KNOWN = new Set(['name']);

/** Checks an output name pattern; `fail` throws with the message. */
export function checkNamePattern(pattern: string, fail: (message: string) => never): void {
  if (!pattern.trim()) fail('the output name pattern is empty');
  if (/[/\\]/.test(pattern)) fail(`output name '${pattern}': a file name, without folders (use --out-dir for a folder)`);
  for (const m of pattern.matchAll(PLACEHOLDER)) {
    if (!KNOWN.has(m[1]!)) fail(`output name '${pattern}': unknown placeholder {${m[1]}} (known: {name})`);
  }
  if (!pattern.includes('{name}')) fail(`output name '${pattern}' has no {name}: every model would get the same file name`);
}

/** The model's name without its .onnx extension. */
export function modelName(input: string): string {
  return basename(input).replace(/\.onnx$/i, '');
}

export function outputFor(entry: ModelEntry, pattern: string, outDir?: string): string {
  const file = pattern.replace(PLACEHOLDER, (_, key: string) => (key === 'name' ? modelName(entry.input) : `{${key}}`));
  const dir = outDir === undefined ? dirname(entry.input) : join(outDir, dirname(entry.relative));
  return join(dir, file);
}
