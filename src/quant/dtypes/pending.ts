// transformers.js dtypes this build does not produce, each refused with its
// reason. The 4-bit and 2-bit producers live in src/quant/nbits/: when one is
// registered in registry.ts, its line here goes.
import type { UnavailableDtype } from './types.js';

const NBITS = 'not built yet: 4-bit and 2-bit weights (MatMulNBits, MatMulBnb4) are the other half of issue 11, in src/quant/nbits/';

export const UNAVAILABLE: UnavailableDtype[] = [
  { name: 'q4', suffix: '_q4', reason: NBITS },
  { name: 'q4f16', suffix: '_q4f16', reason: NBITS },
  { name: 'bnb4', suffix: '_bnb4', reason: NBITS },
  { name: 'q2', suffix: '_q2', reason: NBITS },
  { name: 'q2f16', suffix: '_q2f16', reason: NBITS },
  { name: 'q1', suffix: '_q1', reason: '1-bit weights are not supported' },
  { name: 'q1f16', suffix: '_q1f16', reason: '1-bit weights are not supported' },
];
