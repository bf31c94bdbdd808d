// Compares the written output with its input exactly as `quantize bench`
// does, on the eval samples (or one generated input), with nothing else of
// the batch running meanwhile: latency would measure the other jobs.
import { benchModels } from '../../bench/bench.js';
import { dirname } from 'node:path';
import { openDataset } from '../../data/dataset.js';
import { generatedSample } from '../../data/generated-feeds.js';
import { labelsFor } from '../../data/labels.js';
import { writeReport } from '../../report/write-report.js';
import type { JobStep } from '../job.js';

export const benchStep: JobStep = {
  name: 'bench',
  async run(state, ctx) {
    const { job, result } = state;
    const bench = job.settings.bench!;
    const specs = result.written!.inputs;
    const evalPath = bench.eval;
    // Without samples the comparison runs on one generated input: latency is real, fidelity indicative.
    // Read as calibration reads (the same preprocessing, audio and text settings, sample count and order).
    const dataset = evalPath ? openDataset(evalPath, specs, { modelDir: dirname(job.entry.input), ...job.settings.quantize.data }) : [generatedSample(specs)];
    const { labels, labelsFile } = labelsFor(bench.labels, evalPath, Array.isArray(dataset) ? undefined : dataset.labels?.from);
    const providerStatus = await ctx.providerStatus?.();
    try {
      result.bench = await ctx.exclusive(() => benchModels({
        ...bench.settings, original: job.entry.input, quantized: job.output, dataset, dataSource: evalPath ?? 'generated',
        ...(labels ? { labels } : {}), ...(labelsFile ? { labelsFile } : {}),
        ...(providerStatus ? { providerStatus } : {}),
        onProgress: (p) => (p.stage === 'compare' ? ctx.onProgress?.('benchmarking', p.done, p.total ?? p.done) : undefined),
      }));
    } finally {
      ctx.onStageEnd?.('benchmarking');
    }
    result.warnings.push(...result.bench.warnings);
    if (job.report) writeReport(job.report, result.bench);
    return 'continue';
  },
};
