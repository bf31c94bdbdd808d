// Quantizing a model file into an output file, with bounded memory and the
// output checked as written: the input is loaded, quantized and saved into a
// private folder beside the output (model and side file under their final
// names), released, and ONNX Runtime loads and runs that file. Only then are
// the files renamed into place: an output appears whole and valid, or not at
// all. A node the runtime refuses sends the loop round again with it in float.
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadModel } from '../onnx/load.js';
import { saveModel, type SaveResult } from '../onnx/save.js';
import { releaseMemory } from '../release-memory.js';
import { removeOnExit } from '../cleanup.js';
import { checkInput, excuseGeneratedInput, inputSpecs, quantizeOnce, withFallbacks, type CheckInput, type QuantizeOptions } from './quantize-model.js';
import type { InputSpec } from '../data/validate.js';
import type { QuantizeReport } from './report.js';
import { findRuntimeProblem } from './runtime-check.js';

export interface QuantizeFileOptions extends QuantizeOptions {
  /** true: weights go to a side file; default: when the input keeps its weights in one, or the output would pass 2 GB. */
  externalData?: boolean;
  /** The side file's name, relative to the output's folder (default `<output name>.data`). */
  externalDataName?: string;
}

export interface QuantizeFileResult {
  report: QuantizeReport;
  saved: SaveResult;
  /** The model's inputs (name, type, shape), for whatever runs it next. */
  inputs: InputSpec[];
}

export async function quantizeFile(input: string, output: string, opts: QuantizeFileOptions): Promise<QuantizeFileResult> {
  const work = mkdtempSync(join(dirname(output), `.${basename(output)}.work-`));
  // Removed by the entry point too if the run is interrupted (SIGINT, SIGTERM).
  const forget = removeOnExit(work);
  try {
    const staged = join(work, basename(output));
    let check: CheckInput | undefined;
    // Load, quantize and save in a function of their own: once it returns, nothing
    // holds the input's buffer (a variable of this frame would, across the awaits).
    const stage = async (exclude: string[]) => {
      const model = loadModel(input);
      try {
        check ??= await checkInput(model, opts);
        const outcome = await quantizeOnce(model, opts, exclude);
        // 'auto': a model loaded with external data is written with external data (save.ts).
        const saved = saveModel(outcome.proto, staged, { source: model, externalData: opts.externalData ? true : 'auto', externalDataName: opts.externalDataName });
        return { report: outcome.report, origin: outcome.origin, saved, inputs: inputSpecs(model.proto) };
      } finally {
        model.close();
      }
    };
    const result = await withFallbacks(input, opts, async (exclude) => {
      const attempt = await stage(exclude);
      // The input's buffer is unreachable now; free it before ONNX Runtime loads the output.
      await releaseMemory();
      const problem = await findRuntimeProblem(staged, staged, check!.feeds, attempt.origin, { prepack: !!opts.nbits });
      return { result: attempt, problem: await excuseGeneratedInput(problem, check!, input) };
    });
    // Side file first, model last: the model never points at a missing side file.
    const saved = { ...result.saved, file: output };
    if (result.saved.externalFile) {
      const side = join(dirname(output), basename(result.saved.externalFile));
      renameSync(result.saved.externalFile, side);
      saved.externalFile = side;
    }
    renameSync(staged, output);
    if (check?.note) result.report.notes.push(check.note);
    return { report: result.report, saved, inputs: result.inputs };
  } finally {
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
    forget();
  }
}
