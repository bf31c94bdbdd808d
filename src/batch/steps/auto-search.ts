// --auto: the per-layer search (src/auto/search.ts) before the model is
// written; its choice becomes the write step's node lists. It measures
// latency, so nothing else of the batch runs meanwhile. A budget no choice
// meets ends the job (exit 3) unless --keep-best.
import { searchQuantization } from '../../auto/search.js';
import { loadMetric } from '../../bench/metric-hook.js';
import { labelsFileFor, readLabels } from '../../data/labels.js';
import { GateError } from '../../errors.js';
import type { JobStep } from '../job.js';

export const autoSearchStep: JobStep = {
  name: 'auto-search',
  async run(state, ctx) {
    const { job, result } = state;
    const a = job.settings.auto!;
    const q = job.settings.quantize;
    const evalPath = a.eval ?? q.calibrate!;
    const labels = readLabels(labelsFileFor(evalPath, a.labels));
    const custom = a.autoMetric ? { metric: await loadMetric(a.metric!), key: a.autoMetric } : undefined;
    if (!a.eval) result.warnings.push('--auto without --eval: the calibration samples judge the candidates too, so the result may flatter itself');
    result.search = await ctx.exclusive(() => searchQuantization(job.entry.input, {
      calibrate: q.calibrate!, ...(a.eval ? { eval: a.eval } : {}), method: q.method ?? 'minmax',
      ...(q.percentile !== undefined ? { percentile: q.percentile } : {}), reduceRange: q.reduceRange ?? true, perTensor: q.perTensor,
      exclude: q.exclude, ...(a.threads ? { threads: a.threads } : {}), provider: a.providers?.[0] ?? 'cpu', maxAccuracyDrop: a.budget,
      ...(labels ? { labels } : {}), ...(custom ? { custom } : {}), ...(a.evalSamples ? { evalLimit: a.evalSamples } : {}),
      ...(q.data ? { data: q.data } : {}),
    }));
    if (!result.search.met && !a.keepBest) throw new GateError(`${result.search.outcome}; nothing written (--keep-best writes it anyway)`);
    job.settings.quantize = { ...q, ...result.search.settings, minIntensity: 0 };
    return 'continue';
  },
};
