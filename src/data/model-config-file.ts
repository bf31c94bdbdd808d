// Where a model's companion files are (tokenizer.json, tokenizer_config.json,
// preprocessor_config.json): beside the model, or, in a Hugging Face
// repository, in the folder above its onnx/ folder (model-folder/onnx/model.onnx
// with model-folder/tokenizer.json: the layout transformers.js loads).
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The path of `name` for a model in `modelDir`: beside it if there, else above an onnx/ folder if there, else beside it (for messages). */
export function modelConfigFile(modelDir: string, name: string): string {
  const beside = join(modelDir, name);
  if (existsSync(beside)) return beside;
  if (basename(modelDir) === 'onnx') {
    const above = join(dirname(modelDir), name);
    if (existsSync(above)) return above;
  }
  return beside;
}
