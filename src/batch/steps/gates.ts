// The quality gates (--max-accuracy-drop, --min-speedup) as measured by the
// bench step: a miss makes the model's result 'gate-failed' (exit 3).
import { gateFailure } from '../../bench/gates.js';
import { GateError } from '../../errors.js';
import type { JobStep } from '../job.js';

export const gateStep: JobStep = {
  name: 'gates',
  async run({ result }) {
    const failure = result.bench ? gateFailure(result.bench.gates) : undefined;
    if (failure) throw new GateError(failure);
    return 'continue';
  },
};
