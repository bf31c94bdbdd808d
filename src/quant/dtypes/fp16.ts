// fp16: weights and computation in float16 (src/quant/fp16/).
import { describeFloat16, toFloat16 } from '../fp16/index.js';
import type { DtypeEntry } from './types.js';

export const fp16: DtypeEntry = {
  name: 'fp16',
  suffix: '_fp16',
  description: 'float16 weights and math, float32 inputs/outputs (--no-keep-io-types: float16)',
  async produce(job) {
    const o = await toFloat16(job.model, { keepIoTypes: job.settings.keepIoTypes, target: job.settings.fp16Target, exclude: job.exclude, feeds: job.feeds });
    const notes = [...o.notes];
    for (const [reason, nodes] of o.float32) {
      if (reason.startsWith('data movement')) continue;
      notes.push(`float32 (${reason}): ${nodes.length} node(s) ${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ', …' : ''}`);
    }
    return { proto: o.proto, origin: o.origin, summary: describeFloat16(o), notes };
  },
};
