// The library's public API: what the command line calls, for scripts that
// would rather import than spawn it.
export { loadModel } from './onnx/load.js';
export { saveModel } from './onnx/save.js';
export { quantizeFile } from './quant/quantize-file.js';
export { quantizeModel } from './quant/quantize-model.js';
export { quantizeNBits } from './quant/nbits/quantize-nbits.js';
export { benchModels } from './bench/bench.js';
export { runBatch, planBatch } from './batch/run-batch.js';
export { runModelJob, jobSteps } from './batch/job.js';
export { toJobSettings } from './batch/job-settings.js';
export { loadConfig } from './batch/config.js';
export { mergeReports } from './batch/merge-reports.js';
export { QuantizeError, UsageError, GateError, ModelFormatError, RuntimeFailure } from './errors.js';
export type { BatchOptions, BatchHooks, BatchPlan } from './batch/run-batch.js';
export type { JobSettings } from './batch/job-settings.js';
export type { ModelJob, JobResult, JobStep, JobContext } from './batch/job.js';
export type { ModelOptions } from './batch/model-options.js';
export type { NBitsOptions, NBitsFormat, NBitsAlgorithm } from './quant/nbits/options.js';
export type { BatchSummary } from './batch/summary.js';
