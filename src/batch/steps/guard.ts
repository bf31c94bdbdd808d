// The default's safety net after writing (src/auto/guard.ts): the output is
// measured against the input on a few samples (fidelity, CPU latency) and
// replaced by a cheaper alternative when it is slower or damaged. It
// measures latency, so nothing else of the batch runs meanwhile.
import { guardOutput } from '../../auto/guard.js';
import type { JobStep } from '../job.js';

export const guardStep: JobStep = {
  name: 'guard',
  async run(state, ctx) {
    const { job, result } = state;
    const g = job.settings.guard!;
    const q = job.settings.quantize;
    const out = await ctx.exclusive(() => guardOutput(job.entry.input, job.output, result.written!, q, {
      fallback: g.fallback, ...(job.force ? { force: true } : {}), ...(g.threads ? { threads: g.threads } : {}),
      ...(job.settings.bench?.eval ?? q.calibrate ?? q.checkSamples ? { evalPath: job.settings.bench?.eval ?? q.calibrate ?? q.checkSamples } : {}),
    // The alternatives carry the job's provenance too: --skip-existing sees the output as made from these settings.
    }, (input, output, options) => ctx.writeModel(input, output, { ...options, ...(state.provenance ? { provenance: { ...state.provenance } } : {}) })));
    result.written = out.result;
    result.guard = out.guard;
    if (out.guard.chosen !== 'as asked' || out.guard.reason.startsWith('kept (') || out.guard.reason.startsWith('kept although')) result.warnings.push(out.guard.reason);
    return 'continue';
  },
};
