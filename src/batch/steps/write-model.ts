// Quantizes the model and writes it (atomically, checked in ONNX Runtime:
// see quantizeFile), where the runner says: in this process or a worker.
import type { JobStep } from '../job.js';

export const writeModelStep: JobStep = {
  name: 'write-model',
  async run(state, ctx) {
    const { job } = state;
    try {
      state.result.written = await ctx.writeModel(job.entry.input, job.output, {
        ...job.settings.quantize,
        ...(state.provenance ? { provenance: { ...state.provenance } } : {}),
        ...(ctx.onProgress ? { onProgress: (done: number, total: number) => ctx.onProgress!('calibrating', done, total) } : {}),
      });
    } finally {
      ctx.onStageEnd?.('calibrating');
    }
    for (const f of state.result.written.report.fallbacks) state.result.warnings.push(`node ${f.node} left in float: ${f.reason}`);
    state.result.warnings.push(...(state.result.written.report.warnings ?? []));
    return 'continue';
  },
};
