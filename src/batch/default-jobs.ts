// How many models to quantize at once when --jobs is not given: one per CPU
// the process may use, as many as the free memory holds for the largest
// model, and never more than there are models. One quantization holds the
// model (weights are views of the file), the quantized copy being built and
// an ONNX Runtime session on it: about 3x the model's bytes, plus Node and
// ONNX Runtime themselves.
import { availableParallelism, freemem } from 'node:os';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What one quantization job is expected to hold at its peak, in bytes. */
export function jobMemoryEstimate(modelBytes: number): number {
  return 256 * 2 ** 20 + 3 * modelBytes;
}

/** Memory this process may still take: the cgroup's limit where one is set (Node 20.13+), else the system's free memory. */
export function availableMemory(): number {
  const fromProcess = (process as unknown as { availableMemory?: () => number }).availableMemory?.();
  return fromProcess && fromProcess > 0 ? Math.min(fromProcess, freemem() || fromProcess) : freemem();
}

/**
 * A model's size with its external data: the .onnx file plus the files beside
 * it whose names start with the model's (model.onnx.data, model.onnx_data,
 * model.data), which is how exporters name them.
 */
export function modelBytes(file: string, listings = new Map<string, string[]>()): number {
  if (!existsSync(file)) return 0;
  let bytes = statSync(file).size;
  const dir = dirname(file);
  const stem = basename(file).replace(/\.onnx$/i, '');
  let names = listings.get(dir);
  if (!names) listings.set(dir, (names = readdirSync(dir)));
  for (const name of names) {
    if (name !== basename(file) && name.startsWith(stem) && /\.(data|onnx_data|onnx\.data|bin)$/i.test(name)) {
      try {
        bytes += statSync(join(dir, name)).size;
      } catch {
        // vanished meanwhile
      }
    }
  }
  return bytes;
}

export function defaultJobs(models: readonly string[], cores = availableParallelism(), memory = availableMemory()): number {
  if (models.length <= 1) return 1;
  const listings = new Map<string, string[]>();
  const largest = models.reduce((m, file) => Math.max(m, modelBytes(file, listings)), 0);
  const byMemory = Math.floor((0.8 * memory) / jobMemoryEstimate(largest));
  return Math.max(1, Math.min(cores, byMemory, models.length));
}
