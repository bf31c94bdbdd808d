// What `quantize <path> --dtype ...` works on: one .onnx file (variants
// written beside it), or a Hugging Face-style model folder (the .onnx files
// of its onnx/ folder, or of the folder itself when it has none; variants
// written into that same folder under transformers.js's names). config.json
// (the folder's, or the one above a file's onnx/ folder) gives the
// vocabulary size for generated inputs.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ModelFormatError, UsageError } from '../../errors.js';
import { variantSuffixes } from './registry.js';

export interface ModelRepo {
  /** The folder the variants are written to. */
  outDir: string;
  /** The float models to make variants of (full paths). */
  models: string[];
  /** config.json's content, when there is one. */
  config?: Record<string, unknown>;
  configFile?: string;
}

/** A file name transformers.js would read as a variant (model_fp16.onnx, decoder_model_merged_quantized.onnx...). */
export function isVariantName(file: string): boolean {
  const stem = basename(file).replace(/\.onnx$/i, '');
  return variantSuffixes().some((s) => stem.endsWith(s));
}

/** transformers.js's name for `model`'s variant with this suffix: model.onnx + _fp16 → model_fp16.onnx. */
export function variantName(model: string, suffix: string): string {
  return `${basename(model).replace(/\.onnx$/i, '')}${suffix}.onnx`;
}

function readConfig(file: string): Record<string, unknown> | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return value && typeof value === 'object' ? value as Record<string, unknown> : undefined;
  } catch (err) {
    throw new ModelFormatError(file, `config.json is not valid JSON: ${(err as Error).message}`);
  }
}

export function openModelRepo(path: string): ModelRepo {
  if (!existsSync(path)) throw new UsageError(`${path}: no such file or folder`);
  if (statSync(path).isDirectory()) {
    const onnxDir = existsSync(join(path, 'onnx')) && statSync(join(path, 'onnx')).isDirectory() ? join(path, 'onnx') : path;
    const models = readdirSync(onnxDir).filter((f) => /\.onnx$/i.test(f) && !f.startsWith('.') && !isVariantName(f)).sort().map((f) => join(onnxDir, f));
    if (models.length === 0) {
      throw new UsageError(`${path}: no float model to convert (looked for .onnx files${onnxDir !== path ? ` in ${onnxDir}` : ''} that are not already variants such as model_fp16.onnx)`);
    }
    const configFile = join(path, 'config.json');
    return { outDir: onnxDir, models, config: readConfig(configFile), configFile: existsSync(configFile) ? configFile : undefined };
  }
  const dir = dirname(path);
  const candidates = [join(dir, 'config.json'), ...(basename(dir) === 'onnx' ? [join(dirname(dir), 'config.json')] : [])];
  const configFile = candidates.find((f) => existsSync(f));
  return { outDir: dir, models: [path], config: configFile ? readConfig(configFile) : undefined, configFile };
}

/** The vocabulary size config.json declares (vocab_size, or text_config's / decoder's for composite models). */
export function configVocabSize(config: Record<string, unknown> | undefined): number | undefined {
  if (!config) return undefined;
  for (const c of [config, config.text_config, config.decoder]) {
    const v = (c as Record<string, unknown> | undefined)?.vocab_size;
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}
